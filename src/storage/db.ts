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

export interface Storage {
  db: Database
  dialect: Dialect
  close(): Promise<void>
}

export function dialectOf(databaseUrl: string): Dialect {
  return /^postgres(ql)?:/.test(databaseUrl) ? 'postgres' : 'sqlite'
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
  } else {
    db = new SQL(databaseUrl)
  }
  await migrate(db)
  return { db, dialect, close: () => db.close() }
}
