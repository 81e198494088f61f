/**
 * Run by lazy-load.test.ts in its own process (a test process has long loaded
 * whatsapp-web.js): boots the server's dependencies with the simulator, runs a session,
 * and reports which of whatsapp-web.js / puppeteer got loaded before and after the
 * webjs engine is asked for.
 */
import { loadConfig } from '../../../src/config'
import { createDeps } from '../../../src/deps'

const loaded = () => Object.keys(require.cache).filter((path) => /node_modules\/(whatsapp-web\.js|puppeteer|puppeteer-core)\//.test(path)).length

const deps = await createDeps(loadConfig(process.env))
await deps.sessions.start('15550001111', { accountId: null })
await Bun.sleep(50)
const status = (await deps.sessions.get('15550001111')).status
const withSimulator = loaded()
await deps.registry.get('webjs')
const afterWebjs = loaded()
await deps.close()
console.log(JSON.stringify({ status, withSimulator, afterWebjs }))
