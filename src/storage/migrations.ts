/**
 * Ordered schema migrations, applied at boot inside a transaction each and recorded in
 * `schema_migrations`. Append new entries; never edit one that has shipped.
 */
import type { SQL } from 'bun'

export interface Migration {
  id: number
  name: string
  sql: string
}

export const MIGRATIONS: Migration[] = [
  {
    id: 1,
    name: 'sessions',
    sql: `
      CREATE TABLE sessions (
        phone_number   TEXT PRIMARY KEY,
        account_id     TEXT,
        engine         TEXT NOT NULL,
        desired_state  TEXT NOT NULL DEFAULT 'stopped',
        created_at     BIGINT NOT NULL,
        updated_at     BIGINT NOT NULL
      );
      CREATE INDEX sessions_account ON sessions (account_id);
      CREATE TABLE engine_auth (
        phone_number TEXT NOT NULL,
        engine       TEXT NOT NULL,
        state        TEXT NOT NULL,
        updated_at   BIGINT NOT NULL,
        PRIMARY KEY (phone_number, engine)
      );
      CREATE TABLE settings (
        name  TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    `,
  },
  {
    // Account API keys: only the SHA-256 of the secret is kept. Revoked keys stay (revoked_at) for audit.
    id: 10,
    name: 'api_keys',
    sql: `
      CREATE TABLE api_keys (
        id            TEXT PRIMARY KEY,
        account_id    TEXT NOT NULL,
        name          TEXT NOT NULL,
        phone_number  TEXT,
        secret_sha256 TEXT NOT NULL,
        created_by    TEXT NOT NULL,
        created_at    BIGINT NOT NULL,
        expires_at    BIGINT,
        revoked_at    BIGINT,
        last_used_at  BIGINT
      );
      CREATE INDEX api_keys_account ON api_keys (account_id);
    `,
  },
  {
    id: 20,
    name: 'messages',
    sql: `
      CREATE TABLE messages (
        session         TEXT NOT NULL,
        id              TEXT NOT NULL,
        chat_id         TEXT NOT NULL,
        sent_at         BIGINT NOT NULL,
        seq             BIGINT NOT NULL,
        from_jid        TEXT NOT NULL,
        to_jid          TEXT NOT NULL,
        participant     TEXT,
        from_me         INTEGER NOT NULL,
        type            TEXT NOT NULL,
        body            TEXT NOT NULL,
        ack             INTEGER NOT NULL,
        reply_to        TEXT,
        has_media       INTEGER NOT NULL,
        media_sha256    TEXT,
        media_mimetype  TEXT,
        media_filename  TEXT,
        media_size      BIGINT,
        extra           TEXT,
        edited          INTEGER NOT NULL DEFAULT 0,
        created_at      BIGINT NOT NULL,
        updated_at      BIGINT NOT NULL,
        PRIMARY KEY (session, id)
      );
      CREATE INDEX messages_history ON messages (session, chat_id, sent_at, seq);
      CREATE TABLE message_reactions (
        session     TEXT NOT NULL,
        message_id  TEXT NOT NULL,
        sender      TEXT NOT NULL,
        emoji       TEXT NOT NULL,
        reacted_at  BIGINT NOT NULL,
        PRIMARY KEY (session, message_id, sender)
      );
    `,
  },
  {
    id: 21,
    name: 'idempotency_keys',
    sql: `
      CREATE TABLE idempotency_keys (
        session      TEXT NOT NULL,
        idem_key     TEXT NOT NULL,
        fingerprint  TEXT NOT NULL,
        state        TEXT NOT NULL,
        response     TEXT,
        created_at   BIGINT NOT NULL,
        expires_at   BIGINT NOT NULL,
        PRIMARY KEY (session, idem_key)
      );
      CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);
    `,
  },
  {
    id: 30,
    name: 'events outbox and webhooks',
    // seq is assigned by the (single) writer, so the same DDL serves SQLite and Postgres.
    sql: `
      CREATE TABLE outbox (
        seq         BIGINT PRIMARY KEY,
        id          TEXT NOT NULL UNIQUE,
        session     TEXT NOT NULL,
        event       TEXT NOT NULL,
        created_at  BIGINT NOT NULL,
        body        TEXT NOT NULL
      );
      CREATE INDEX outbox_session_seq ON outbox (session, seq);
      CREATE INDEX outbox_created ON outbox (created_at);
      CREATE TABLE webhooks (
        id               TEXT PRIMARY KEY,
        session          TEXT,
        account_id       TEXT,
        source           TEXT NOT NULL,
        url              TEXT NOT NULL,
        events           TEXT NOT NULL,
        headers          TEXT NOT NULL,
        secret           TEXT,
        hmac_key         TEXT,
        status           TEXT NOT NULL,
        disabled_reason  TEXT,
        disabled_at      BIGINT,
        failing_since    BIGINT,
        last_success_at  BIGINT,
        created_at       BIGINT NOT NULL,
        updated_at       BIGINT NOT NULL
      );
      CREATE INDEX webhooks_session ON webhooks (session);
      CREATE TABLE webhook_deliveries (
        webhook_id       TEXT NOT NULL,
        seq              BIGINT NOT NULL,
        state            TEXT NOT NULL,
        attempts         INTEGER NOT NULL,
        next_attempt_at  BIGINT NOT NULL,
        last_status      INTEGER,
        last_latency_ms  INTEGER,
        last_error       TEXT,
        attempt_log      TEXT NOT NULL,
        created_at       BIGINT NOT NULL,
        updated_at       BIGINT NOT NULL,
        delivered_at     BIGINT,
        PRIMARY KEY (webhook_id, seq)
      );
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
      CREATE INDEX webhook_deliveries_seq ON webhook_deliveries (seq);
    `,
  },
  {
    id: 31,
    name: 'waha_sessions',
    // WAHA's session config (metadata, webhooks…) as a WAHA client set it, returned as given.
    sql: `
      CREATE TABLE waha_sessions (
        session     TEXT PRIMARY KEY,
        config      TEXT NOT NULL,
        created_at  BIGINT NOT NULL,
        updated_at  BIGINT NOT NULL
      );
      ALTER TABLE webhooks ADD COLUMN metadata TEXT
    `,
  },
  {
    id: 40,
    name: 'engine state',
    // Engine-wide durable rows, e.g. the simulated network's phones (chats, messages, contacts, groups).
    sql: `
      CREATE TABLE engine_state (
        engine     TEXT NOT NULL,
        key        TEXT NOT NULL,
        state      TEXT NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (engine, key)
      )
    `,
  },
  {
    id: 60,
    name: 'webhook secret rotation',
    // The secret being rotated out keeps signing (beside the new one) until previous_secret_until.
    sql: `
      ALTER TABLE webhooks ADD COLUMN previous_secret TEXT;
      ALTER TABLE webhooks ADD COLUMN previous_secret_until BIGINT
    `,
  },
  {
    id: 70,
    name: 'link invites',
    // A shareable page that links one number; only the SHA-256 of its token's secret is kept.
    sql: `
      CREATE TABLE link_invites (
        id             TEXT PRIMARY KEY,
        phone_number   TEXT NOT NULL,
        account_id     TEXT,
        secret_sha256  TEXT NOT NULL,
        created_by     TEXT NOT NULL,
        created_at     BIGINT NOT NULL,
        expires_at     BIGINT NOT NULL,
        used_at        BIGINT,
        revoked_at     BIGINT
      );
      CREATE INDEX link_invites_number ON link_invites (phone_number)
    `,
  },
  {
    id: 100,
    name: 'cluster nodes and session leases',
    // Many nodes on one Postgres (API.md §10). Times come from the database's now(), never a
    // node's clock. SQLite (one node) creates them too and leaves them empty.
    sql: `
      CREATE TABLE cluster_nodes (
        id            TEXT PRIMARY KEY,
        url           TEXT NOT NULL,
        capacity      INTEGER NOT NULL,
        started_at    TIMESTAMPTZ,
        last_seen_at  TIMESTAMPTZ NOT NULL
      );
      CREATE TABLE session_leases (
        phone_number  TEXT PRIMARY KEY,
        node_id       TEXT NOT NULL,
        node_url      TEXT NOT NULL,
        epoch         BIGINT NOT NULL,
        expires_at    TIMESTAMPTZ NOT NULL
      );
      CREATE INDEX session_leases_node ON session_leases (node_id)
    `,
  },
  {
    id: 101,
    name: 'engine profile snapshots',
    // A browser engine's login (webjs: the profile's IndexedDB and Local Storage) as a
    // compressed archive in chunks, so another node can take the session over without a QR.
    // Two generations are kept: a torn or corrupt newest one falls back to the one before.
    sql: `
      CREATE TABLE engine_snapshots (
        phone_number  TEXT NOT NULL,
        engine        TEXT NOT NULL,
        generation    BIGINT NOT NULL,
        sha256        TEXT NOT NULL,
        size          BIGINT NOT NULL,
        chunks        INTEGER NOT NULL,
        created_at    BIGINT NOT NULL,
        PRIMARY KEY (phone_number, engine, generation)
      );
      CREATE TABLE engine_snapshot_chunks (
        phone_number  TEXT NOT NULL,
        engine        TEXT NOT NULL,
        generation    BIGINT NOT NULL,
        idx           INTEGER NOT NULL,
        data          BYTEA NOT NULL,
        PRIMARY KEY (phone_number, engine, generation, idx)
      )
    `,
  },
  {
    id: 110,
    name: 'engine relay between nodes',
    // Mailboxes per number for engines whose network spans the cluster (the simulator). Ids
    // are UUIDv7 (time-ordered, strictly increasing per node). Used on Postgres only.
    sql: `
      CREATE TABLE engine_relay (
        id          TEXT PRIMARY KEY,
        engine      TEXT NOT NULL,
        to_phone    TEXT NOT NULL,
        payload     TEXT NOT NULL,
        posted_at   BIGINT NOT NULL
      );
      CREATE INDEX engine_relay_to ON engine_relay (engine, to_phone, id);
      CREATE TABLE engine_relay_members (
        engine        TEXT NOT NULL,
        phone_number  TEXT NOT NULL,
        PRIMARY KEY (engine, phone_number)
      )
    `,
  },
  {
    id: 140,
    name: 'call settings',
    // Per-session call handling (issue 13): reject incoming calls, optionally with a reply text.
    sql: `
      CREATE TABLE call_settings (
        phone_number   TEXT PRIMARY KEY,
        reject_calls   INTEGER NOT NULL,
        reject_message TEXT,
        updated_at     BIGINT NOT NULL
      )
    `,
  },
  {
    id: 120,
    name: 'cluster: shared outbox sequence and delivery claims',
    // Used with Postgres, where several nodes share the database (API.md §10); harmless on SQLite.
    // outbox_sequence: the one counter every node's outbox writes take, under its row lock until
    // commit, so sequence order is commit order. Deliveries carry their session (per endpoint and
    // session order) and which node holds them until when (claimed_until: the database's clock, ms).
    sql: `
      CREATE TABLE outbox_sequence (
        id        INTEGER PRIMARY KEY,
        last_seq  BIGINT NOT NULL
      );
      ALTER TABLE webhook_deliveries ADD COLUMN session TEXT;
      ALTER TABLE webhook_deliveries ADD COLUMN claimed_by TEXT;
      ALTER TABLE webhook_deliveries ADD COLUMN claimed_until BIGINT;
      UPDATE webhook_deliveries SET session = (SELECT o.session FROM outbox o WHERE o.seq = webhook_deliveries.seq);
      CREATE INDEX webhook_deliveries_stream ON webhook_deliveries (webhook_id, session, seq);
      CREATE INDEX webhook_deliveries_claimant ON webhook_deliveries (claimed_by)
    `,
  },
  {
    id: 121,
    name: 'cluster: shared rate limits and callback de-duplication',
    // tat: the GCRA bucket's theoretical arrival time (epoch ms, fractional: a window / limit
    // interval rarely is whole); a row past expires_at is a full bucket.
    sql: `
      CREATE TABLE rate_limit_buckets (
        bucket      TEXT PRIMARY KEY,
        tat         DOUBLE PRECISION NOT NULL,
        expires_at  DOUBLE PRECISION NOT NULL
      );
      CREATE INDEX rate_limit_buckets_expiry ON rate_limit_buckets (expires_at);
      CREATE TABLE callback_deliveries (
        session      TEXT NOT NULL,
        delivery_id  TEXT NOT NULL,
        received_at  BIGINT NOT NULL,
        PRIMARY KEY (session, delivery_id)
      );
      CREATE INDEX callback_deliveries_received ON callback_deliveries (received_at)
    `,
  },
  {
    id: 122,
    name: 'cluster: media bytes in the database',
    // Content-addressed like the files on disk (session, sha256), cut in chunks of at most 1 MiB.
    sql: `
      CREATE TABLE media_chunks (
        session  TEXT NOT NULL,
        sha256   TEXT NOT NULL,
        chunk    INTEGER NOT NULL,
        size     BIGINT NOT NULL,
        data     BYTEA NOT NULL,
        PRIMARY KEY (session, sha256, chunk)
      )
    `,
  },
]

/** Transaction-level advisory lock key under which Postgres nodes migrate one at a time ("WWS" 2). */
export const MIGRATION_LOCK_KEY = 0x57575302

/**
 * Applies what is missing. On Postgres several nodes may boot at once on one database:
 * each step takes a transaction-scoped advisory lock and looks again, so every migration
 * runs exactly once whichever node gets there first.
 */
export async function migrate(db: SQL, migrations: Migration[] = MIGRATIONS, dialect: 'sqlite' | 'postgres' = 'sqlite'): Promise<void> {
  const serialize = async (tx: SQL) => {
    if (dialect === 'postgres') await tx.unsafe(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`)
  }
  await db.begin(async (tx) => {
    await serialize(tx)
    await tx.unsafe(`CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`)
  })
  const applied = new Set((await db`SELECT id FROM schema_migrations`).map((row: { id: number }) => Number(row.id)))
  for (const migration of [...migrations].sort((a, b) => a.id - b.id)) {
    if (applied.has(migration.id)) continue
    await db.begin(async (tx) => {
      await serialize(tx)
      if ((await tx`SELECT id FROM schema_migrations WHERE id = ${migration.id}`).length > 0) return
      for (const statement of splitStatements(migration.sql)) await tx.unsafe(statement)
      await tx`INSERT INTO schema_migrations (id, name, applied_at) VALUES (${migration.id}, ${migration.name}, ${Date.now()})`
    })
  }
}

/** Migrations hold no semicolons inside literals, so splitting on `;` is exact for them. */
function splitStatements(sql: string): string[] {
  return sql.split(';').map((s) => s.trim()).filter(Boolean)
}
