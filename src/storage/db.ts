/**
 * Bun.SQL connection: SQLite in DATA_DIR by default, Postgres when DATABASE_URL says so.
 * Queries are written once, in the SQL both dialects share.
 */
import { SQL } from 'bun'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { migrate } from './migrations'

export type Database = SQL
export type Dialect = 'sqlite' | 'postgres'

/**
 * An integer column as Bun.SQL returns it: a number on SQLite, but a string for BIGINT
 * (int8, and COUNT(*)) on Postgres. Read it with `Number()`: every value stored here
 * (epoch ms, microsecond sequence numbers, counts) is below 2^53.
 */
export type DbInteger = number | string

export interface Storage {
  db: Database
  dialect: Dialect
  close(): Promise<void>
}

export function dialectOf(databaseUrl: string): Dialect {
  return /^postgres(ql)?:/.test(databaseUrl) ? 'postgres' : 'sqlite'
}

/**
 * Bun.SQL's SQLite adapter is one connection: a plain statement issued while another
 * caller's `begin()` is open runs INSIDE that transaction, and is rolled back with it (or
 * with a savepoint of it). Postgres gives each transaction its own pooled connection, so
 * only SQLite needs this: awaiting a plain statement runs it as a transaction of its own,
 * which Bun.SQL queues behind open ones. Queries stay lazy objects, so composing one into
 * another as a fragment, and helpers such as `db(values)`, work as before.
 *
 * Inside a transaction, use its `tx`: awaiting `db` there would wait for that very
 * transaction.
 */
function isolateStatements(db: SQL): SQL {
  const isolated = <T extends PromiseLike<unknown>>(query: T, run: () => Promise<unknown>): T => {
    Object.defineProperty(query, 'then', {
      value: (onFulfilled?: (value: unknown) => unknown, onRejected?: (reason: unknown) => unknown) => run().then(onFulfilled, onRejected),
    })
    return query
  }
  return new Proxy(db, {
    apply(target, thisArg, args: unknown[]) {
      const query: unknown = Reflect.apply(target, thisArg, args)
      const isTemplateCall = Array.isArray(args[0]) && 'raw' in (args[0] as object)
      if (!isTemplateCall) return query
      const [strings, ...values] = args as [TemplateStringsArray, ...unknown[]]
      return isolated(query as PromiseLike<unknown>, () => target.begin((tx) => tx(strings, ...values)))
    },
    get(target, property, receiver) {
      if (property === 'unsafe') {
        return (text: string, parameters?: unknown[]) =>
          isolated(target.unsafe(text, parameters), () => target.begin((tx) => tx.unsafe(text, parameters)))
      }
      const value: unknown = Reflect.get(target, property, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

export async function openStorage(databaseUrl: string): Promise<Storage> {
  const dialect = dialectOf(databaseUrl)
  let db: SQL
  if (dialect === 'sqlite') {
    const filename = databaseUrl.replace(/^(sqlite|file):(\/\/)?/, '')
    if (filename !== ':memory:') mkdirSync(dirname(filename), { recursive: true })
    db = new SQL({ adapter: 'sqlite', filename })
    // WAL lets readers run beside the writer; FULL makes a committed outbox row survive power loss;
    // busy_timeout makes a second writer wait instead of failing with SQLITE_BUSY.
    await db.unsafe('PRAGMA journal_mode = WAL')
    await db.unsafe('PRAGMA synchronous = FULL')
    await db.unsafe('PRAGMA busy_timeout = 5000')
    await db.unsafe('PRAGMA foreign_keys = ON')
    db = isolateStatements(db)
  } else {
    db = new SQL(databaseUrl)
  }
  await migrate(db)
  return { db, dialect, close: () => db.close() }
}
