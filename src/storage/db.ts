/**
 * The database: SQLite in DATA_DIR by default (bun:sqlite behind Bun.SQL's interface, see
 * sqlite.ts), Postgres through Bun.SQL when DATABASE_URL says so.
 * Queries are written once, in the SQL both dialects share (tests/storage/postgres.test.ts
 * runs them on a real Postgres). What differs, and is handled here or by the readers:
 * - integer columns: BIGINT comes back as a string on Postgres (`DbInteger`, read with Number());
 * - connections: SQLite is a writer (one transaction at a time) and a reader for plain
 *   SELECTs (sqlite.ts), Postgres a pool where each transaction has its own connection;
 * - text: Postgres cannot store U+0000 (`replaceNulInParameters`);
 * - many servers (cluster nodes, src/cluster/) may share one Postgres database; they
 *   migrate it one at a time under an advisory lock (migrations.ts).
 */
import { SQL } from 'bun'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { migrate } from './migrations'
import { openSqlite } from './sqlite'

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

/** U+0000, which Postgres TEXT cannot hold, and what stands for it there. */
const NUL = /\u0000/g
const NUL_STAND_IN = '\uFFFD'

function withoutNul(value: unknown): unknown {
  if (typeof value === 'string') return value.includes('\u0000') ? value.replace(NUL, NUL_STAND_IN) : value
  if (Array.isArray(value)) return value.map(withoutNul)
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withoutNul(item)]))
  }
  return value
}

/**
 * Postgres rejects a NUL character in text ("invalid byte sequence for encoding UTF8:
 * 0x00"); SQLite stores it. One NUL in a WhatsApp message, an API key name or a webhook
 * receiver's error text would fail the whole write: the event and its message lost, a
 * batch of delivery outcomes retried forever. On Postgres, every string parameter (of
 * statements, `db(values)` helpers, `unsafe`, transactions and savepoints) has its NULs
 * replaced with U+FFFD, the replacement character, so the write goes through. Lookups
 * map the same way, so an id that held a NUL still finds its row.
 */
function replaceNulInParameters<T extends SQL>(db: T): T {
  const wrapCallback = (args: unknown[]): unknown[] => {
    const callback = args.at(-1)
    if (typeof callback !== 'function') return args
    return [...args.slice(0, -1), (tx: SQL) => (callback as (tx: SQL) => unknown)(replaceNulInParameters(tx))]
  }
  return new Proxy(db, {
    apply(target, thisArg, args: unknown[]) {
      const isTemplateCall = Array.isArray(args[0]) && 'raw' in (args[0] as object)
      const mapped = isTemplateCall ? [args[0], ...args.slice(1).map(withoutNul)] : args.map(withoutNul)
      return Reflect.apply(target, thisArg, mapped)
    },
    get(target, property) {
      if (property === 'unsafe') {
        return (text: string, parameters?: unknown[]) => target.unsafe(text, parameters && (withoutNul(parameters) as unknown[]))
      }
      if (property === 'begin' || property === 'savepoint') {
        return (...args: unknown[]) => (Reflect.get(target, property) as (...a: unknown[]) => unknown).apply(target, wrapCallback(args))
      }
      if (property === 'reserve') {
        return async (...args: unknown[]) => replaceNulInParameters(await (target.reserve as (...a: unknown[]) => Promise<SQL>).apply(target, args))
      }
      const value: unknown = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

/**
 * Postgres aborted the statement because it ran into another transaction: a deadlock
 * (40P01) or a serialization failure (40001). SQLite, one connection, never has them.
 * The transaction can simply be run again once the other one has gone by.
 */
export function isTransientConflict(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const code = (error as { errno?: unknown }).errno
  return code === '40P01' || code === '40001'
}

/** Tries a transaction this many times when it keeps losing conflicts. */
export const CONFLICT_ATTEMPTS = 3

/**
 * `db.begin(work)`, run again when Postgres aborted it for a deadlock or serialization
 * failure. Only for work that touches nothing but the database (it may run twice).
 * Pooled Postgres transactions run side by side, so two that take the same rows in a
 * different order (deleting a message while an event updates it…) can deadlock; one of
 * them loses, and is retried here instead of failing the request.
 */
export async function transaction<T>(db: SQL, work: (tx: SQL) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return (await db.begin(work)) as T
    } catch (error) {
      if (!isTransientConflict(error) || attempt >= CONFLICT_ATTEMPTS) throw error
    }
  }
}

/** The database cannot be used (unreachable, or taken by another server): a boot failure meant for the operator. */
export class StorageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'StorageError'
  }
}

/** The database URL without its password, for messages. */
export function redactUrl(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl)
    if (url.password) url.password = '***'
    return url.toString()
  } catch {
    return databaseUrl.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@')
  }
}

/**
 * Whether the database answers at all, so an unreachable one is a boot error naming
 * DATABASE_URL rather than a failure deep inside the migrations.
 */
async function probe(db: SQL, databaseUrl: string): Promise<void> {
  try {
    await db`SELECT 1`
  } catch (error) {
    throw new StorageError(`Could not open the database ${redactUrl(databaseUrl)} (DATABASE_URL): ${(error as Error).message}`, { cause: error })
  }
}

export async function openStorage(databaseUrl: string): Promise<Storage> {
  const dialect = dialectOf(databaseUrl)
  let db: SQL
  if (dialect === 'sqlite') {
    const filename = databaseUrl.replace(/^(sqlite|file):(\/\/)?/, '')
    if (filename !== ':memory:') mkdirSync(dirname(filename), { recursive: true })
    db = openSqlite(filename)
  } else {
    db = replaceNulInParameters(new SQL(databaseUrl))
    try {
      await probe(db, databaseUrl)
    } catch (error) {
      await db.close()
      throw error
    }
  }
  try {
    await migrate(db, undefined, dialect)
  } catch (error) {
    await db.close()
    throw new StorageError(`Could not bring the schema of ${redactUrl(databaseUrl)} (DATABASE_URL) up to date: ${(error as Error).message}`, { cause: error })
  }
  return {
    db,
    dialect,
    async close() {
      await db.close()
    },
  }
}
