/**
 * The embedded SQLite database on `bun:sqlite`, behind the part of Bun.SQL's interface the
 * repositories use (tagged-template queries, fragments, `db(values)` helpers, `unsafe`,
 * `begin`, `savepoint`, `close`), so the same repositories run on both dialects.
 *
 * Why not Bun.SQL's own SQLite adapter: it is one connection, so a plain statement issued
 * while another caller's transaction is open would run inside it; the only safe use was
 * to wrap every plain read in a transaction of its own, queued behind the open ones. A
 * profile of `send-text` had over half its samples there. Here:
 * - plain reads (SELECT) run on a second, read connection: WAL gives it the last
 *   committed state, never another caller's open transaction; a read waits only for
 *   writes issued before it (so it sees them, as on one connection), and never holds up
 *   the writes issued after it;
 * - writes run on the writer connection under a lock that a transaction holds from
 *   BEGIN to COMMIT, so a plain write waits for open transactions instead of joining them;
 * - statements are compiled once and cached (`Database.query`);
 * - group commit that does not stall the server: bun:sqlite is synchronous, so with
 *   synchronous=FULL every COMMIT would block the event loop for the whole fsync (≈ 4 ms
 *   here) and no other request could even queue its event meanwhile: one fsync per send
 *   (strace: 1,379 fsyncs for 1,341 sends). Instead SQLite commits into the WAL without
 *   syncing (synchronous=NORMAL) and the WAL is fdatasync'd right after, off the main
 *   thread, while the event loop goes on taking requests (whose events form the next
 *   group). The write lock is held until that sync is done, and no write's promise
 *   resolves before it: what FULL promises — a transaction reported committed survives
 *   power loss — holds for every caller, so a send answers 200, and an event is handed
 *   to webhooks and SSE, only once it is on disk. A kill -9 never loses a commit either
 *   way: the WAL is in the OS page cache.
 */
import { Database as Sqlite } from 'bun:sqlite'
import type { SQL } from 'bun'
import { open, type FileHandle } from 'node:fs/promises'

type Row = Record<string, unknown>
type Runner = (sql: string, params: unknown[]) => Promise<Row[]>

/** `db(values)`: a list for `IN ${db(ids)}`, or rows for `INSERT INTO t ${db(rows)}`. */
class Helper {
  constructor(readonly value: unknown) {}
}

/** A query as Bun.SQL makes them: lazy (run when awaited), and usable as a fragment of another. */
class Query implements PromiseLike<Row[]> {
  private result?: Promise<Row[]>

  constructor(
    readonly strings: readonly string[],
    readonly values: readonly unknown[],
    private readonly runner: Runner,
  ) {}

  then<A = Row[], B = never>(onFulfilled?: ((rows: Row[]) => A | PromiseLike<A>) | null, onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
    if (!this.result) {
      const parts: string[] = []
      const params: unknown[] = []
      compile(this, parts, params)
      this.result = this.runner(parts.join(''), params)
    }
    return this.result.then(onFulfilled, onRejected)
  }

  catch<B = never>(onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<Row[] | B> {
    return this.then(undefined, onRejected)
  }
}

/** Binds as Bun.SQL does: undefined is NULL, booleans are 1/0. */
function bindable(value: unknown): unknown {
  if (value === undefined) return null
  if (typeof value === 'boolean') return value ? 1 : 0
  return value
}

function compile(query: { strings: readonly string[]; values: readonly unknown[] }, parts: string[], params: unknown[]): void {
  query.strings.forEach((text, index) => {
    parts.push(text)
    if (index >= query.values.length) return
    const value = query.values[index]
    if (value instanceof Query) compile(value, parts, params)
    else if (value instanceof Helper) expandHelper(value.value, parts, params)
    else {
      parts.push('?')
      params.push(bindable(value))
    }
  })
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}

function expandHelper(value: unknown, parts: string[], params: unknown[]): void {
  const list = Array.isArray(value) ? value : [value]
  const isRows = list.length > 0 && list.every((item) => typeof item === 'object' && item !== null && !(item instanceof Uint8Array))
  if (!isRows) {
    parts.push(`(${list.map(() => '?').join(', ')})`)
    params.push(...list.map(bindable))
    return
  }
  const columns = Object.keys(list[0] as object)
  parts.push(`(${columns.map(quoteIdentifier).join(', ')}) VALUES `)
  parts.push(list.map(() => `(${columns.map(() => '?').join(', ')})`).join(', '))
  for (const row of list as Row[]) for (const column of columns) params.push(bindable(row[column]))
}

const READ_ONLY = /^\s*SELECT\b/i
/** More than one statement in one text (migrations, test set-ups): run as a script. */
const SCRIPT = /;\s*\S/

/** One writer at a time: a transaction holds this from BEGIN to COMMIT/ROLLBACK. */
class WriteLock {
  private tail: Promise<void> = Promise.resolve()
  /** Holders and waiters: a write is in progress or queued while this is above 0. */
  private outstanding = 0

  get busy(): boolean {
    return this.outstanding > 0
  }

  async acquire(): Promise<() => void> {
    let release!: () => void
    const previous = this.tail
    this.outstanding++
    this.tail = new Promise<void>((resolve) => (release = resolve))
    await previous
    return () => {
      this.outstanding--
      release()
    }
  }

  /** Resolves when every write queued so far is done. */
  drained(): Promise<void> {
    return this.tail
  }
}

function run(connection: Sqlite, sql: string, params: unknown[]): Row[] {
  return connection.query(sql).all(...(params as never[])) as Row[]
}

/** `unsafe` text: possibly several statements (migrations, test set-ups), then run as a script. */
function runUnsafe(connection: Sqlite, sql: string, params: unknown[]): Row[] {
  if (params.length === 0 && SCRIPT.test(sql.trim().replace(/;\s*$/, ''))) {
    connection.run(sql)
    return []
  }
  return run(connection, sql, params)
}

/** A callable like Bun.SQL's: a template tag, `db(values)` for helpers, and `unsafe`. */
function callable<Extra extends object>(runner: Runner, unsafeRunner: Runner, extra: Extra) {
  const sql = (first: unknown, ...values: unknown[]) => {
    if (Array.isArray(first) && 'raw' in first) return new Query(first as readonly string[], values, runner)
    return new Helper(first)
  }
  return Object.assign(sql, { unsafe: (text: string, parameters: unknown[] = []) => unsafeRunner(text, parameters.map(bindable)) }, extra)
}

/**
 * fdatasync of the WAL file, coalesced: a call made while a sync runs gets the next one
 * (which covers what was committed after the running one began), shared by every such call.
 */
class WalSync {
  private file?: Promise<FileHandle>
  private running?: Promise<void>
  private next?: Promise<void>

  constructor(private readonly path: string) {}

  sync(): Promise<void> {
    if (!this.running) {
      this.running = this.datasync().finally(() => {
        this.running = undefined
      })
      return this.running
    }
    this.next ??= this.running.then(
      () => this.startNext(),
      () => this.startNext(),
    )
    return this.next
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.running, this.next])
    const file = await this.file?.catch(() => undefined)
    await file?.close()
  }

  private startNext(): Promise<void> {
    this.next = undefined
    return this.sync()
  }

  private async datasync(): Promise<void> {
    // Opened on first use: SQLite creates the WAL with the first write, and keeps it while a connection is open.
    this.file ??= open(this.path, 'r')
    await (await this.file).datasync()
  }
}

export function openSqlite(filename: string): SQL {
  const writer = new Sqlite(filename, { create: true, strict: false })
  // WAL lets the read connection run beside the writer; FULL makes a committed outbox row survive power loss;
  // busy_timeout makes a second writer (another process on the file) wait instead of failing with SQLITE_BUSY.
  writer.run('PRAGMA journal_mode = WAL')
  // NORMAL: commits are synced by WalSync before any caller hears of them (see above); an in-memory database has nothing to sync.
  const wal = filename === ':memory:' ? undefined : new WalSync(`${filename}-wal`)
  writer.run(`PRAGMA synchronous = ${wal ? 'NORMAL' : 'FULL'}`)
  writer.run('PRAGMA busy_timeout = 5000')
  writer.run('PRAGMA foreign_keys = ON')
  // An in-memory database is per connection: there the writer serves the reads too.
  const reader = filename === ':memory:' ? undefined : new Sqlite(filename)
  reader?.run('PRAGMA busy_timeout = 5000')
  const lock = new WriteLock()

  const direct: Runner = async (text, params) => run(writer, text, params)
  const directUnsafe: Runner = async (text, params) => runUnsafe(writer, text, params)
  // Transaction control, compiled once (a savepoint's name is its nesting depth).
  const control = (sql: string) => writer.query(sql)
  const BEGIN = control('BEGIN')
  const COMMIT = control('COMMIT')
  const ROLLBACK = control('ROLLBACK')
  let depth = 0

  /** A write outside any transaction: under the lock, held until the write is synced. */
  const outside = (execute: typeof run): Runner => async (text, params) => {
    if (reader && READ_ONLY.test(text)) {
      if (lock.busy) {
        // A read sees every write issued before it, synced, as on one connection; and, as there, it is
        // answered after the writer's own continuations (its in-memory mirrors) have run.
        await lock.drained()
        await new Promise<void>((resolve) => setImmediate(resolve))
      }
      return execute(reader, text, params)
    }
    const release = await lock.acquire()
    try {
      const rows = execute(writer, text, params)
      await wal?.sync()
      return rows
    } finally {
      release()
    }
  }

  const savepoint = async <T>(work: (tx: unknown) => Promise<T>): Promise<T> => {
    const name = `sp${++depth}`
    control(`SAVEPOINT ${name}`).run()
    try {
      const result = await work(tx)
      control(`RELEASE ${name}`).run()
      return result
    } catch (error) {
      control(`ROLLBACK TO ${name}`).run()
      control(`RELEASE ${name}`).run()
      throw error
    } finally {
      depth--
    }
  }
  const tx = callable(direct, directUnsafe, { savepoint })

  const begin = async <T>(work: (tx: unknown) => Promise<T>): Promise<T> => {
    const release = await lock.acquire()
    let result: T
    try {
      BEGIN.run()
      try {
        result = await work(tx)
        COMMIT.run()
      } catch (error) {
        if (writer.inTransaction) ROLLBACK.run()
        throw error
      }
      await wal?.sync()
    } finally {
      release()
    }
    return result
  }

  const db = callable(outside(run), outside(runUnsafe), {
    begin,
    async close() {
      await lock.drained()
      await wal?.close()
      reader?.close()
      writer.close()
    },
  })
  // The repositories are typed against Bun.SQL; this is the subset of it they use.
  return db as unknown as SQL
}
