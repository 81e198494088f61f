/**
 * The Dockerfile and compose.yaml cannot be built here (no Docker): they are parsed and
 * checked for what would break a deployment silently — a setting the server does not
 * read, a value it would refuse at boot, a health check on a route that does not exist.
 */
import { expect, test } from 'bun:test'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig } from '../src/config'
import { createTestServer } from './helpers/app'

const root = join(import.meta.dir, '..')
const read = (file: string) => readFileSync(join(root, file), 'utf8')

/** Every setting the server reads: src/config.ts, and each engine's own (src/providers/<engine>/definition.ts). */
const SETTINGS = new Set(
  ['src/config.ts', ...new Bun.Glob('src/providers/*/definition.ts').scanSync({ cwd: root })].flatMap((file) =>
    [...read(file).matchAll(/read\.\w+\('([A-Z0-9_]+)'/g)].map((match) => match[1]!),
  ),
)

interface Instruction {
  name: string
  args: string
}

/** Dockerfile instructions, continuation lines joined, comments dropped. */
function instructions(text: string): Instruction[] {
  const logical = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
  return logical.map((line) => {
    const [name, ...rest] = line.split(/\s+/)
    return { name: name!.toUpperCase(), args: rest.join(' ') }
  })
}

/** `ENV A=1 B=2` → {A: '1', B: '2'} (the key=value form; values without spaces). */
function envOf(dockerfile: Instruction[]): Record<string, string> {
  const env: Record<string, string> = {}
  for (const { name, args } of dockerfile.filter((i) => i.name === 'ENV')) {
    for (const pair of args.split(/\s+/)) {
      const [key, value] = pair.split('=')
      expect(value, `ENV ${pair} is in key=value form`).toBeDefined()
      env[key!] = value!
    }
  }
  return env
}

/** `${NAME:-default}` / `${NAME:?message}` / `${NAME}` → the value compose would pass with `given` set. */
function interpolate(value: string, given: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_, name: string, kind?: string, rest?: string) => given[name] ?? (kind === '-' ? (rest ?? '') : ''))
}

test('Dockerfile: Debian slim with Debian chromium, non-root, DATA_DIR a volume, health check on /health, only real settings', async () => {
  const dockerfile = instructions(read('Dockerfile'))
  const from = dockerfile.filter((i) => i.name === 'FROM')
  expect(from).toHaveLength(1)
  expect(from[0]!.args).toMatch(/(bookworm|trixie|debian)[^\s]*-slim|debian:[^\s]*slim/)

  const installs = dockerfile.filter((i) => i.name === 'RUN' && /apt-get install/.test(i.args)).map((i) => i.args).join(' ')
  expect(installs).toMatch(/\bchromium\b/)

  const env = envOf(dockerfile)
  for (const name of Object.keys(env)) expect(SETTINGS.has(name), `Dockerfile sets ${name}, which src/config.ts does not read`).toBe(true)
  expect(env.CHROME_PATH).toBe('/usr/bin/chromium')
  expect(env.HOST).toBe('0.0.0.0')
  // The image's settings are valid as the server reads them.
  const config = loadConfig({ ...env, API_KEY: 'docker-admin-key-0123456789' })
  expect(config.dataDir).toBe(env.DATA_DIR!)

  const volumes = dockerfile.filter((i) => i.name === 'VOLUME').map((i) => i.args).join(' ')
  expect(volumes).toContain(env.DATA_DIR!)

  const users = dockerfile.filter((i) => i.name === 'USER')
  expect(users.length).toBeGreaterThan(0)
  expect(users.at(-1)!.args).not.toMatch(/^(root|0)(:|$)/)
  const userIndex = dockerfile.lastIndexOf(users.at(-1)!)
  expect(dockerfile.findIndex((i) => i.name === 'CMD' || i.name === 'ENTRYPOINT')).toBeGreaterThan(userIndex)

  for (const copy of dockerfile.filter((i) => i.name === 'COPY')) {
    const sources = copy.args.split(/\s+/).filter((part) => !part.startsWith('--')).slice(0, -1)
    for (const source of sources) expect(existsSync(join(root, source)), `COPY ${source} exists`).toBe(true)
  }

  const health = dockerfile.find((i) => i.name === 'HEALTHCHECK')
  expect(health?.args).toContain('/api/whatsapp/health')
  const server = await createTestServer()
  try {
    expect((await server.call('GET', '/health', { key: null })).status).toBe(200)
  } finally {
    await server.close()
  }

  const cmd = dockerfile.find((i) => i.name === 'CMD')!
  const argv = JSON.parse(cmd.args) as string[]
  expect(argv.slice(-1)).toEqual(['src/index.ts'])
})

test('compose.yaml: the server with PostgreSQL, passing only settings the server reads, with values it accepts', () => {
  const compose = Bun.YAML.parse(read('compose.yaml')) as {
    services: Record<string, { build?: string; image?: string; environment?: Record<string, string>; volumes?: string[]; depends_on?: Record<string, unknown> }>
  }
  const app = compose.services.whatsapp!
  const postgres = compose.services.postgres!
  expect(app.build).toBe('.')
  expect(postgres.image).toMatch(/^postgres:/)
  expect(Object.keys(app.depends_on ?? {})).toContain('postgres')

  const environment = app.environment ?? {}
  for (const name of Object.keys(environment)) expect(SETTINGS.has(name), `compose passes ${name}, which src/config.ts does not read`).toBe(true)
  const env = Object.fromEntries(Object.entries(environment).map(([name, value]) => [name, interpolate(String(value), { API_KEY: 'compose-admin-key-0123456789', CLUSTER_SECRET: 'compose-cluster-secret-0123456789abcdef' })]))
  const dockerEnv = envOf(instructions(read('Dockerfile')))
  const config = loadConfig({ ...dockerEnv, ...env })
  expect(config.databaseUrl).toStartWith('postgres://')
  expect(new URL(config.databaseUrl).hostname).toBe('postgres')
  // The URL's user and database are the ones the postgres service creates.
  const url = new URL(config.databaseUrl)
  expect(url.username).toBe(postgres.environment!.POSTGRES_USER!)
  expect(url.pathname.slice(1)).toBe(postgres.environment!.POSTGRES_DB!)
  // DATA_DIR persists in a named volume.
  expect(app.volumes?.some((volume) => volume.endsWith(`:${dockerEnv.DATA_DIR}`))).toBe(true)
})
