/**
 * The only reader of the environment. Every setting is parsed and validated once, at
 * boot; a bad value stops the server with one message per offending variable, naming
 * what is allowed. Everything else receives the typed `Config`.
 */
import { hostname } from 'node:os'
import { resolve } from 'node:path'
import { isValidWebhookSecret } from './events/signing'
import { EnvReader, type Env } from './lib/env-reader'
import { parseTrustProxy, TRUST_PROXY_OFF, type TrustProxy } from './lib/client-ip'
import { parseCidr } from './lib/ip-policy'
import { EVENT_NAMES, type EngineDefinition, type EngineName } from './providers/engine'
import { ENGINES, type EngineSettingsSections } from './providers/registry'

export type { EngineName } from './providers/engine'
export { splitArgs } from './lib/env-reader'

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
type LogLevel = (typeof LOG_LEVELS)[number]
/** `auto`: human-readable (pino-pretty) when stdout is a terminal, JSON lines otherwise. */
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const
export type LogFormat = (typeof LOG_FORMATS)[number]

export interface JwtConfig {
  jwksUrl?: string
  publicKey?: string
  secret?: string
  issuer?: string
  audience?: string[]
  accountClaim?: string
  /** Least time between JWKS refetches caused by an unknown `kid` (key rotation). */
  jwksCooldownMs?: number
}

/** Requests allowed per minute; 0 turns that limit off. */
export interface RateLimitConfig {
  /** Every authenticated request, per credential (API key id, JWT account, admin). */
  requestsPerMinute: number
  /** Sends (`send-*`, forward, status posts), per credential, on top of the global limit. */
  sendsPerMinute: number
  /** Failed authentications per client IP; past it the IP is refused until the window refills. */
  authFailuresPerMinute: number
}

/**
 * The core settings, and (from `EngineSettingsSections`) each engine's own section under its
 * name (`webjs`, `simulator`, `waha`), read by the engine's registry entry.
 */
export interface Config extends EngineSettingsSections {
  port: number
  host: string
  dataDir: string
  databaseUrl: string
  defaultEngine: EngineName
  /** The engines whose settings were read (the registry's list, or a test's): the registry is built from them. */
  engines: readonly EngineDefinition[]
  /** Admin key: the plain key or `sha256:<hex>` of it; undefined → generated on first boot unless JWT is configured. */
  apiKey?: string
  jwt?: JwtConfig
  rateLimit: RateLimitConfig
  /** TRUST_PROXY: which hops of X-Forwarded-For are our reverse proxies (off: the TCP peer is the client). */
  trustProxy: TrustProxy
  /**
   * The externally reachable base URL of this server (no trailing slash), e.g.
   * `https://gateway.example.com`: where a WAHA server sends its callbacks.
   */
  publicUrl: string
  /** WAHA's own REST API served at WAHA's paths (`/api/sessions`, `/api/sendText`, `/ws`…), API.md §13. */
  wahaCompat: {
    enabled: boolean
    /** The phone number WAHA's session name `default` stands for; unset, `default` names no session. */
    defaultSession?: string
  }
  logLevel: LogLevel
  logFormat: LogFormat
  /** Bearer token that may read GET /metrics (and nothing else); the admin key always may. */
  metricsToken?: string
  /** Largest request body the server accepts, in bytes. */
  maxBodyBytes: number
  /** Browser origins allowed to call the API (CORS); empty = same-origin only, `*` = any. */
  corsOrigins: string[]
  /** Print the QR of a session waiting for a scan in the terminal. */
  printQr: boolean
  /** How a crashed engine is restarted, and how sessions are spaced when restored at boot. */
  restart: { baseDelayMs: number; maxDelayMs: number; maxAttempts: number; bootStaggerMs: number }
  /** Fetches of user-supplied URLs (media, webhooks) through the one safe fetcher. */
  outbound: {
    /** CIDRs allowed even though private/loopback/link-local (e.g. `127.0.0.1/32` in tests). */
    allowCidrs: string[]
    /** Overall deadline per fetch: DNS, connect, redirects and body. */
    timeoutMs: number
  }
  /** Largest decoded media per kind, in bytes (WhatsApp's own limits by default). */
  mediaLimits: MediaLimits
  /** ffmpeg/ffprobe that turn voice, video and stickers into what WhatsApp accepts (src/messaging/media-convert.ts). */
  mediaConvert: { ffmpegPath?: string; ffprobePath?: string; timeoutMs: number }
  /** Anti-ban pacing: sends of one number are serialized and spaced by a random delay. */
  sendPacing: { minDelayMs: number; maxDelayMs: number; typing: boolean }
  /** How long an Idempotency-Key is remembered, in seconds. */
  idempotencyTtlSeconds: number
  webhooks: WebhooksConfig
  sse: { keepaliveMs: number; maxBufferBytes: number }
  outbox: { retentionMs: number; pruneIntervalMs: number }
  /** Many nodes on one Postgres (API.md §10); on SQLite the server is its only node. */
  cluster: ClusterConfig
  /** Media bytes in an S3-compatible bucket instead of DATA_DIR (or Postgres): readable from every node. */
  mediaS3?: MediaS3Config
}

export interface MediaS3Config {
  bucket: string
  /** The service's URL (MinIO, R2, …); AWS S3 when unset. */
  endpoint?: string
  region?: string
  accessKeyId?: string
  secretAccessKey?: string
}

export interface ClusterConfig {
  /** Stable id of this node (survives restarts): the owner named in session leases. */
  nodeId: string
  /** Base URL (no trailing slash) at which the other nodes reach this one. */
  nodeUrl: string
  /** Signs node-to-node forwarded requests; required with Postgres, at least 32 characters. */
  secret?: string
  /** Most sessions this node runs; 0 = no limit. */
  capacity: number
  /** A session lease's lifetime; renewed at a third of it. */
  leaseTtlMs: number
}

/** Shortest CLUSTER_SECRET accepted: it signs requests that act for any account. */
export const CLUSTER_SECRET_MIN_LENGTH = 32

export interface MediaLimits {
  image: number
  video: number
  audio: number
  document: number
  sticker: number
}

export interface WebhooksConfig {
  /** The webhook every session delivers to, from WEBHOOK_URL. */
  default?: { url: string; events: string[]; secret?: string }
  /** Deadline of one delivery attempt. */
  timeoutMs: number
  /** First retry delay; each further retry doubles it (±20% jitter), up to `retryMaxMs`. */
  retryBaseMs: number
  retryMaxMs: number
  /** An endpoint that has failed without a single success for this long is disabled. */
  disableAfterMs: number
  /** Attempts in flight at once, over all endpoints, and per endpoint. */
  concurrency: number
  endpointConcurrency: number
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

export function loadConfig(env: Env, engines: readonly EngineDefinition[] = ENGINES): Config {
  const read = new EnvReader(env)

  const port = read.integer('PORT', 3000, 0, 65535)
  const host = read.string('HOST') ?? '127.0.0.1'
  if (!/^[A-Za-z0-9.:[\]-]+$/.test(host)) read.problems.push(`HOST must be a host name or IP address (got "${host}")`)

  const dataDir = resolve(read.string('DATA_DIR') ?? './data')
  const databaseUrl = read.url('DATABASE_URL', ['sqlite:', 'postgres:', 'postgresql:', 'file:']) ?? `sqlite://${resolve(dataDir, 'whatsapp-web-server.db')}`

  const engineNames = engines.map((engine) => engine.name)
  const defaultEngine = read.oneOf('WA_ENGINE', engineNames, engineNames.includes('webjs') ? 'webjs' : engineNames[0]!)
  // Each engine reads its own section; an engine that cannot run as set up cannot be the default.
  const sections: Record<string, unknown> = {}
  for (const engine of engines) sections[engine.name] = engine.settings?.(read)
  const unready = engines.find((engine) => engine.name === defaultEngine)?.notConfigured?.(sections[defaultEngine])
  if (unready) read.problems.push(`WA_ENGINE=${defaultEngine} ${unready}`)

  const apiKey = read.string('API_KEY')
  if (apiKey !== undefined) {
    if (apiKey.startsWith('sha256:')) {
      if (!/^sha256:[0-9a-f]{64}$/i.test(apiKey)) read.problems.push('API_KEY in hashed form must be sha256: followed by 64 hex digits')
    } else if (apiKey.length < 16) {
      read.problems.push('API_KEY must be at least 16 characters (or sha256:<hex> of the key)')
    }
  }

  const jwt: JwtConfig = {}
  const jwksUrl = read.url('JWT_JWKS_URL', ['https:', 'http:'])
  const publicKey = read.string('JWT_PUBLIC_KEY')
  const secret = read.string('JWT_SECRET')
  const sources = [jwksUrl, publicKey, secret].filter((v) => v !== undefined).length
  if (sources > 1) read.problems.push('Set only one of JWT_JWKS_URL, JWT_PUBLIC_KEY, JWT_SECRET')
  if (secret !== undefined && new TextEncoder().encode(secret).length < 32) read.problems.push('JWT_SECRET must be at least 32 bytes')
  if (publicKey !== undefined && !publicKey.includes('BEGIN PUBLIC KEY') && !publicKey.startsWith('{'))
    read.problems.push('JWT_PUBLIC_KEY must be a PEM (-----BEGIN PUBLIC KEY-----) or a JWK JSON object')
  if (jwksUrl) jwt.jwksUrl = jwksUrl
  if (publicKey) jwt.publicKey = publicKey.replace(/\\n/g, '\n')
  if (secret) jwt.secret = secret
  const issuer = read.string('JWT_ISSUER')
  const audience = read.string('JWT_AUDIENCE')
  const accountClaim = read.string('JWT_ACCOUNT_CLAIM')
  if (issuer) jwt.issuer = issuer
  if (audience) jwt.audience = audience.split(',').map((a) => a.trim()).filter(Boolean)
  if (accountClaim) jwt.accountClaim = accountClaim
  const jwksCooldown = read.string('JWT_JWKS_COOLDOWN_MS')
  if (jwksCooldown !== undefined) {
    jwt.jwksCooldownMs = read.integer('JWT_JWKS_COOLDOWN_MS', 30_000, 0, 3_600_000)
    if (!jwksUrl) read.problems.push('JWT_JWKS_COOLDOWN_MS needs JWT_JWKS_URL')
  }
  if (sources === 0 && (issuer || audience || accountClaim))
    read.problems.push('JWT_ISSUER, JWT_AUDIENCE and JWT_ACCOUNT_CLAIM need one of JWT_JWKS_URL, JWT_PUBLIC_KEY or JWT_SECRET')

  // A wildcard listen address is not a place to send anyone: default links to loopback.
  const linkHost = host === '0.0.0.0' || host === '::' || host === '[::]' ? '127.0.0.1' : host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
  const wahaCompat = read.boolean('WAHA_COMPAT', true)
  const wahaDefaultSession = read.string('WAHA_DEFAULT_SESSION')
  if (wahaDefaultSession !== undefined && !/^\+?[0-9]{7,15}$/.test(wahaDefaultSession)) {
    read.problems.push(`WAHA_DEFAULT_SESSION must be a phone number of 7 to 15 digits (got "${wahaDefaultSession}")`)
  }
  const publicUrl = (read.url('PUBLIC_URL', ['http:', 'https:']) ?? `http://${linkHost}:${port}`).replace(/\/+$/, '')

  const metricsToken = read.string('METRICS_TOKEN')
  if (metricsToken !== undefined && (metricsToken.length < 16 || /[\s\x00-\x1f\x7f]/.test(metricsToken)))
    read.problems.push('METRICS_TOKEN must be at least 16 characters, without spaces or control characters')

  const corsOrigins = read.list('CORS_ORIGINS')
  for (const origin of corsOrigins) {
    if (origin === '*') continue
    let parsed: URL | undefined
    try {
      parsed = new URL(origin)
    } catch {
      // reported below
    }
    if (!parsed || !['http:', 'https:'].includes(parsed.protocol) || parsed.origin !== origin.replace(/\/$/, '')) {
      read.problems.push(`CORS_ORIGINS must be * or origins like https://app.example.com, comma-separated (got "${origin}")`)
    }
  }
  if (corsOrigins.includes('*') && corsOrigins.length > 1) read.problems.push('CORS_ORIGINS is either * or a list of origins, not both')

  let trustProxy: TrustProxy = TRUST_PROXY_OFF
  try {
    trustProxy = parseTrustProxy(read.string('TRUST_PROXY'))
  } catch (error) {
    read.problems.push(`TRUST_PROXY must be false (the default), a hop count (1 behind one reverse proxy) or a comma-separated list of the proxies' CIDRs: ${(error as Error).message}`)
  }

  const allowCidrs = (read.string('OUTBOUND_ALLOW_CIDRS') ?? '').split(',').map((c) => c.trim()).filter(Boolean)
  for (const cidr of allowCidrs) {
    try {
      parseCidr(cidr)
    } catch (error) {
      read.problems.push(`OUTBOUND_ALLOW_CIDRS has an invalid CIDR "${cidr}": ${(error as Error).message}`)
    }
  }
  const MiB = 1024 * 1024
  const minDelayMs = read.integer('SEND_DELAY_MIN_MS', 500, 0, 600_000)
  const maxDelayMs = read.integer('SEND_DELAY_MAX_MS', 1500, 0, 600_000)
  if (maxDelayMs < minDelayMs) read.problems.push(`SEND_DELAY_MAX_MS (${maxDelayMs}) must not be below SEND_DELAY_MIN_MS (${minDelayMs})`)

  // Unset: the binaries shipped inside @ffmpeg-installer/ffmpeg and @ffprobe-installer/ffprobe.
  const ffmpegPath = read.string('FFMPEG_PATH')
  const ffprobePath = read.string('FFPROBE_PATH')
  for (const [name, value] of [['FFMPEG_PATH', ffmpegPath], ['FFPROBE_PATH', ffprobePath]] as const) {
    if (value !== undefined && (value.trim() === '' || /[\x00-\x1f]/.test(value))) read.problems.push(`${name} must be the path of the executable (got "${value.slice(0, 80)}")`)
  }

  const webhooks: WebhooksConfig = {
    timeoutMs: read.integer('WEBHOOK_TIMEOUT_MS', 10_000, 1, 300_000),
    retryBaseMs: read.integer('WEBHOOK_RETRY_BASE_MS', 5_000, 1, 86_400_000),
    retryMaxMs: read.integer('WEBHOOK_RETRY_MAX_MS', 3_600_000, 1, 86_400_000),
    disableAfterMs: read.integer('WEBHOOK_DISABLE_AFTER_MS', 5 * 86_400_000, 1, 365 * 86_400_000),
    concurrency: read.integer('WEBHOOK_CONCURRENCY', 64, 1, 10_000),
    endpointConcurrency: read.integer('WEBHOOK_ENDPOINT_CONCURRENCY', 8, 1, 1000),
  }
  if (webhooks.retryMaxMs < webhooks.retryBaseMs) read.problems.push('WEBHOOK_RETRY_MAX_MS must not be smaller than WEBHOOK_RETRY_BASE_MS')
  const webhookUrl = read.url('WEBHOOK_URL', ['http:', 'https:'])
  const webhookEvents = read.list('WEBHOOK_EVENTS')
  const badEvent = webhookEvents.find((name) => name !== '*' && !(EVENT_NAMES as readonly string[]).includes(name))
  if (badEvent) read.problems.push(`WEBHOOK_EVENTS: "${badEvent}" is not an event name; use * or a comma-separated list of ${EVENT_NAMES.join(', ')}`)
  const webhookSecret = read.string('WEBHOOK_SECRET')
  if (webhookSecret !== undefined && !isValidWebhookSecret(webhookSecret)) {
    read.problems.push('WEBHOOK_SECRET must be whsec_ followed by the base64 of 24 to 64 random bytes')
  }
  if (!webhookUrl && (webhookEvents.length > 0 || webhookSecret)) read.problems.push('WEBHOOK_EVENTS and WEBHOOK_SECRET need WEBHOOK_URL')
  if (webhookUrl) {
    webhooks.default = { url: webhookUrl, events: webhookEvents.length > 0 ? webhookEvents : ['*'], ...(webhookSecret && { secret: webhookSecret }) }
  }

  const nodeId = read.string('NODE_ID') ?? `${hostname()}:${port}`
  if (!/^[A-Za-z0-9._:@-]{1,128}$/.test(nodeId)) read.problems.push(`NODE_ID must be 1 to 128 letters, digits or . _ : @ - (got "${nodeId}")`)
  const nodeUrl = (read.url('NODE_URL', ['http:', 'https:']) ?? `http://${linkHost}:${port}`).replace(/\/+$/, '')
  const clusterSecret = read.string('CLUSTER_SECRET')
  const onPostgres = /^postgres(ql)?:/.test(databaseUrl)
  if (clusterSecret !== undefined && clusterSecret.length < CLUSTER_SECRET_MIN_LENGTH) {
    read.problems.push(`CLUSTER_SECRET must be at least ${CLUSTER_SECRET_MIN_LENGTH} characters (e.g. openssl rand -hex 32)`)
  } else if (clusterSecret === undefined && onPostgres) {
    read.problems.push(
      `CLUSTER_SECRET is required with a Postgres DATABASE_URL (every server on it is a cluster node): set the same random value of at least ${CLUSTER_SECRET_MIN_LENGTH} characters on every node, e.g. openssl rand -hex 32`,
    )
  }
  const s3Bucket = read.string('MEDIA_S3_BUCKET')
  const s3Endpoint = read.url('MEDIA_S3_ENDPOINT', ['http:', 'https:'])
  const s3Region = read.string('MEDIA_S3_REGION')
  const s3AccessKeyId = read.string('MEDIA_S3_ACCESS_KEY_ID')
  const s3SecretAccessKey = read.string('MEDIA_S3_SECRET_ACCESS_KEY')
  if (s3Bucket !== undefined && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(s3Bucket)) {
    read.problems.push(`MEDIA_S3_BUCKET must be a bucket name: 3 to 63 lowercase letters, digits, dots or hyphens (got "${s3Bucket}")`)
  }
  if ((s3AccessKeyId === undefined) !== (s3SecretAccessKey === undefined)) {
    read.problems.push('MEDIA_S3_ACCESS_KEY_ID and MEDIA_S3_SECRET_ACCESS_KEY go together: set both, or neither')
  }
  if (s3Bucket === undefined && (s3Endpoint ?? s3Region ?? s3AccessKeyId ?? s3SecretAccessKey) !== undefined) {
    read.problems.push('MEDIA_S3_ENDPOINT, MEDIA_S3_REGION and the MEDIA_S3 keys need MEDIA_S3_BUCKET (the bucket media is stored in)')
  }
  const mediaS3: MediaS3Config | undefined = s3Bucket === undefined ? undefined : {
    bucket: s3Bucket,
    ...(s3Endpoint !== undefined && { endpoint: s3Endpoint.replace(/\/+$/, '') }),
    ...(s3Region !== undefined && { region: s3Region }),
    ...(s3AccessKeyId !== undefined && { accessKeyId: s3AccessKeyId }),
    ...(s3SecretAccessKey !== undefined && { secretAccessKey: s3SecretAccessKey }),
  }

  const cluster: ClusterConfig = {
    nodeId,
    nodeUrl,
    capacity: read.integer('NODE_CAPACITY', 0, 0, 1_000_000),
    leaseTtlMs: read.integer('LEASE_TTL_MS', 15_000, 1000, 600_000),
    ...(clusterSecret !== undefined && { secret: clusterSecret }),
  }

  const config: Omit<Config, keyof EngineSettingsSections> = {
    port,
    host,
    dataDir,
    databaseUrl,
    defaultEngine,
    engines,
    rateLimit: {
      requestsPerMinute: read.integer('RATE_LIMIT_PER_MINUTE', 600, 0, 1_000_000),
      sendsPerMinute: read.integer('RATE_LIMIT_SENDS_PER_MINUTE', 60, 0, 1_000_000),
      authFailuresPerMinute: read.integer('AUTH_FAILURES_PER_MINUTE', 30, 0, 1_000_000),
    },
    trustProxy,
    publicUrl,
    wahaCompat: {
      enabled: wahaCompat,
      ...(wahaDefaultSession !== undefined && { defaultSession: wahaDefaultSession.replace(/^\+/, '') }),
    },
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    logFormat: read.oneOf('LOG_FORMAT', LOG_FORMATS, 'auto'),
    // 140 MiB: a 100 MiB document (WhatsApp's limit) sent as base64 in JSON is ~134 MiB.
    maxBodyBytes: read.integer('MAX_BODY_BYTES', 140 * 1024 * 1024, 1024, 2 * 1024 * 1024 * 1024),
    corsOrigins,
    printQr: read.boolean('PRINT_QR', true),
    restart: {
      baseDelayMs: read.integer('ENGINE_RESTART_BASE_MS', 1000, 1, 3_600_000),
      maxDelayMs: read.integer('ENGINE_RESTART_MAX_MS', 60_000, 1, 3_600_000),
      maxAttempts: read.integer('ENGINE_RESTART_MAX_ATTEMPTS', 5, 0, 1000),
      bootStaggerMs: read.integer('BOOT_STAGGER_MS', 0, 0, 600_000),
    },
    outbound: {
      allowCidrs,
      timeoutMs: read.integer('OUTBOUND_FETCH_TIMEOUT_MS', 30_000, 1, 600_000),
    },
    mediaLimits: {
      image: read.integer('MEDIA_MAX_IMAGE_BYTES', 16 * MiB, 1, 2048 * MiB),
      video: read.integer('MEDIA_MAX_VIDEO_BYTES', 16 * MiB, 1, 2048 * MiB),
      audio: read.integer('MEDIA_MAX_AUDIO_BYTES', 16 * MiB, 1, 2048 * MiB),
      document: read.integer('MEDIA_MAX_DOCUMENT_BYTES', 100 * MiB, 1, 2048 * MiB),
      sticker: read.integer('MEDIA_MAX_STICKER_BYTES', 500 * 1024, 1, 2048 * MiB),
    },
    mediaConvert: {
      ...(ffmpegPath !== undefined && { ffmpegPath }),
      ...(ffprobePath !== undefined && { ffprobePath }),
      timeoutMs: read.integer('MEDIA_CONVERT_TIMEOUT_MS', 60_000, 100, 3_600_000),
    },
    sendPacing: { minDelayMs, maxDelayMs, typing: read.boolean('SEND_TYPING', false) },
    idempotencyTtlSeconds: read.integer('IDEMPOTENCY_TTL_SECONDS', 86_400, 60, 30 * 86_400),
    webhooks,
    sse: {
      keepaliveMs: read.integer('SSE_KEEPALIVE_MS', 15_000, 10, 3_600_000),
      maxBufferBytes: read.integer('SSE_MAX_BUFFER_BYTES', 1024 * 1024, 1024, 1024 * 1024 * 1024),
    },
    outbox: {
      retentionMs: read.integer('OUTBOX_RETENTION_MS', 7 * 86_400_000, 1000, 3650 * 86_400_000),
      pruneIntervalMs: read.integer('OUTBOX_PRUNE_INTERVAL_MS', 3_600_000, 100, 86_400_000),
    },
    cluster,
    ...(mediaS3 && { mediaS3 }),
  }
  if (apiKey) config.apiKey = apiKey
  if (metricsToken) config.metricsToken = metricsToken
  if (sources > 0) config.jwt = jwt

  if (read.problems.length > 0) throw new ConfigError(read.problems)
  const clash = engines.find((engine) => engine.name in config)
  if (clash) throw new Error(`An engine cannot be named ${clash.name}: that is a core setting's name`)
  return { ...sections, ...config } as Config
}

/** An engine's settings section (`config.webjs`, …; a test engine's too), for the registry. */
export function engineSettingsOf(config: Config, engine: EngineName): unknown {
  return (config as unknown as Record<string, unknown>)[engine]
}

/** The process's configuration, read from its environment. */
export function readConfig(): Config {
  return loadConfig(process.env)
}
