/**
 * The only reader of the environment. Every setting is parsed and validated once, at
 * boot; a bad value stops the server with one message per offending variable, naming
 * what is allowed. Everything else receives the typed `Config`.
 */
import { resolve } from 'node:path'
import { isValidWebhookSecret } from './events/signing'
import { parseCidr } from './lib/ip-policy'
import { EVENT_NAMES } from './providers/provider'

export const ENGINES = ['webjs', 'simulator', 'waha'] as const

export type EngineName = (typeof ENGINES)[number]

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
type LogLevel = (typeof LOG_LEVELS)[number]

export interface JwtConfig {
  jwksUrl?: string
  publicKey?: string
  secret?: string
  issuer?: string
  audience?: string[]
  accountClaim?: string
}

export interface Config {
  port: number
  host: string
  dataDir: string
  databaseUrl: string
  defaultEngine: EngineName
  /** Admin key: the plain key or `sha256:<hex>` of it; undefined → generated on first boot unless JWT is configured. */
  apiKey?: string
  jwt?: JwtConfig
  /** `webhookHmacKey`: when set, inbound WAHA callbacks must carry a valid `X-Webhook-Hmac` (HMAC-SHA512 of the body). */
  waha: { url?: string; apiKey?: string; webhookHmacKey?: string }
  chrome: { path?: string; args: string[] }
  logLevel: LogLevel
  /** Largest request body the server accepts, in bytes. */
  maxBodyBytes: number
  /** Print the QR of a session waiting for a scan in the terminal. */
  printQr: boolean
  /** How a crashed engine is restarted, and how sessions are spaced when restored at boot. */
  restart: { baseDelayMs: number; maxDelayMs: number; maxAttempts: number; bootStaggerMs: number }
  simulator: { qrRefreshMs: number; connectDelayMs: number }
  /** This server's base URL as webhook consumers reach it (media links in event payloads). */
  publicUrl: string
  /** Fetches of user-supplied URLs (media, webhooks) through the one safe fetcher. */
  outbound: {
    /** CIDRs allowed even though private/loopback/link-local (e.g. `127.0.0.1/32` in tests). */
    allowCidrs: string[]
    /** Overall deadline per fetch: DNS, connect, redirects and body. */
    timeoutMs: number
  }
  webhooks: WebhooksConfig
  sse: { keepaliveMs: number; maxBufferBytes: number }
  outbox: { retentionMs: number; pruneIntervalMs: number }
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

type Env = Record<string, string | undefined>

/** Collects every problem instead of stopping at the first, so one boot shows them all. */
class EnvReader {
  readonly problems: string[] = []
  constructor(private readonly env: Env) {}

  string(name: string): string | undefined {
    const value = this.env[name]?.trim()
    return value === undefined || value === '' ? undefined : value
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.string(name)
    if (raw === undefined) return fallback
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      this.problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`)
      return fallback
    }
    return Number(raw)
  }

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.string(name)?.toLowerCase()
    if (raw === undefined) return fallback
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true
    if (['0', 'false', 'no', 'off'].includes(raw)) return false
    this.problems.push(`${name} must be true or false (got "${raw}")`)
    return fallback
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.string(name)
    if (raw === undefined) return fallback
    if ((allowed as readonly string[]).includes(raw)) return raw as T
    this.problems.push(`${name} must be one of ${allowed.join(', ')} (got "${raw}")`)
    return fallback
  }

  list(name: string): string[] {
    return (this.string(name) ?? '').split(',').map((item) => item.trim()).filter(Boolean)
  }

  url(name: string, protocols: string[]): string | undefined {
    const raw = this.string(name)
    if (raw === undefined) return undefined
    try {
      const parsed = new URL(raw)
      if (protocols.includes(parsed.protocol)) return raw
    } catch {
      // reported below
    }
    this.problems.push(`${name} must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')} (got "${raw}")`)
    return undefined
  }
}

/**
 * Splits CHROME_ARGS like a shell would for the cases that matter: flags separated by
 * spaces, and a value in double or single quotes may itself hold spaces
 * (`--host-resolver-rules="MAP web.whatsapp.com 127.0.0.1:8443"`).
 */
export function splitArgs(raw: string): string[] {
  const args: string[] = []
  let current = ''
  let quote: '"' | "'" | null = null
  let started = false
  for (const char of raw) {
    if (quote) {
      if (char === quote) quote = null
      else current += char
    } else if (char === '"' || char === "'") {
      quote = char
      started = true
    } else if (/\s/.test(char)) {
      if (started) args.push(current)
      current = ''
      started = false
    } else {
      current += char
      started = true
    }
  }
  if (quote) throw new Error(`unbalanced ${quote} quote`)
  if (started) args.push(current)
  return args
}

export function loadConfig(env: Env): Config {
  const read = new EnvReader(env)

  const port = read.integer('PORT', 3000, 0, 65535)
  const host = read.string('HOST') ?? '127.0.0.1'
  if (!/^[A-Za-z0-9.:[\]-]+$/.test(host)) read.problems.push(`HOST must be a host name or IP address (got "${host}")`)

  const dataDir = resolve(read.string('DATA_DIR') ?? './data')
  const databaseUrl = read.url('DATABASE_URL', ['sqlite:', 'postgres:', 'postgresql:', 'file:']) ?? `sqlite://${resolve(dataDir, 'whatsapp-web-server.db')}`

  const defaultEngine = read.oneOf('WA_ENGINE', ENGINES, 'webjs')

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
  if (sources === 0 && (issuer || audience || accountClaim))
    read.problems.push('JWT_ISSUER, JWT_AUDIENCE and JWT_ACCOUNT_CLAIM need one of JWT_JWKS_URL, JWT_PUBLIC_KEY or JWT_SECRET')

  const wahaUrl = read.url('WAHA_URL', ['http:', 'https:'])
  const wahaApiKey = read.string('WAHA_API_KEY')
  const wahaWebhookHmacKey = read.string('WAHA_WEBHOOK_HMAC_KEY')
  if (defaultEngine === 'waha' && !wahaUrl) read.problems.push('WA_ENGINE=waha needs WAHA_URL')

  let chromeArgs: string[] = []
  const rawChromeArgs = read.string('CHROME_ARGS')
  if (rawChromeArgs) {
    try {
      chromeArgs = splitArgs(rawChromeArgs)
      const bad = chromeArgs.find((arg) => !arg.startsWith('--'))
      if (bad) read.problems.push(`CHROME_ARGS must be flags starting with -- (got "${bad}")`)
    } catch (error) {
      read.problems.push(`CHROME_ARGS has an ${(error as Error).message}`)
    }
  }

  const allowCidrs = (read.string('OUTBOUND_ALLOW_CIDRS') ?? '').split(',').map((c) => c.trim()).filter(Boolean)
  for (const cidr of allowCidrs) {
    try {
      parseCidr(cidr)
    } catch (error) {
      read.problems.push(`OUTBOUND_ALLOW_CIDRS has an invalid CIDR "${cidr}": ${(error as Error).message}`)
    }
  }

  const listenHost = host === '0.0.0.0' || host === '::' || host === '[::]' ? '127.0.0.1' : host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
  const publicUrl = (read.url('PUBLIC_URL', ['http:', 'https:']) ?? `http://${listenHost}:${port}`).replace(/\/+$/, '')

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

  const config: Config = {
    port,
    host,
    dataDir,
    databaseUrl,
    defaultEngine,
    waha: { ...(wahaUrl && { url: wahaUrl }), ...(wahaApiKey && { apiKey: wahaApiKey }), ...(wahaWebhookHmacKey && { webhookHmacKey: wahaWebhookHmacKey }) },
    chrome: { ...(read.string('CHROME_PATH') && { path: read.string('CHROME_PATH') }), args: chromeArgs },
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    maxBodyBytes: read.integer('MAX_BODY_BYTES', 120 * 1024 * 1024, 1024, 2 * 1024 * 1024 * 1024),
    printQr: read.boolean('PRINT_QR', true),
    restart: {
      baseDelayMs: read.integer('ENGINE_RESTART_BASE_MS', 1000, 1, 3_600_000),
      maxDelayMs: read.integer('ENGINE_RESTART_MAX_MS', 60_000, 1, 3_600_000),
      maxAttempts: read.integer('ENGINE_RESTART_MAX_ATTEMPTS', 5, 0, 1000),
      bootStaggerMs: read.integer('BOOT_STAGGER_MS', 1000, 0, 600_000),
    },
    simulator: {
      qrRefreshMs: read.integer('SIMULATOR_QR_REFRESH_MS', 20_000, 10, 3_600_000),
      connectDelayMs: read.integer('SIMULATOR_CONNECT_DELAY_MS', 200, 0, 60_000),
    },
    publicUrl,
    outbound: {
      allowCidrs,
      timeoutMs: read.integer('OUTBOUND_FETCH_TIMEOUT_MS', 30_000, 1, 600_000),
    },
    webhooks,
    sse: {
      keepaliveMs: read.integer('SSE_KEEPALIVE_MS', 15_000, 10, 3_600_000),
      maxBufferBytes: read.integer('SSE_MAX_BUFFER_BYTES', 1024 * 1024, 1024, 1024 * 1024 * 1024),
    },
    outbox: {
      retentionMs: read.integer('OUTBOX_RETENTION_MS', 7 * 86_400_000, 1000, 3650 * 86_400_000),
      pruneIntervalMs: read.integer('OUTBOX_PRUNE_INTERVAL_MS', 3_600_000, 100, 86_400_000),
    },
  }
  if (apiKey) config.apiKey = apiKey
  if (sources > 0) config.jwt = jwt

  if (read.problems.length > 0) throw new ConfigError(read.problems)
  return config
}

/** The process's configuration, read from its environment. */
export function readConfig(): Config {
  return loadConfig(process.env)
}
