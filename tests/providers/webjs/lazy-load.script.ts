/**
 * Run by lazy-load.test.ts in its own process (a test process has long loaded every
 * engine): boots the server (dependencies and the HTTP app) with the simulator, runs a
 * session through HTTP, and reports which engine code got loaded — whatsapp-web.js /
 * puppeteer, the WAHA client and its callback decoding — before and after the webjs engine
 * is asked for.
 */
import { plugin } from 'bun'

// Bun's require.cache lists packages but not every source module: record each source file as it loads.
const loadedSources: string[] = []
plugin({
  name: 'record-source-loads',
  setup(build) {
    build.onLoad({ filter: /\/src\/.*\.ts$/ }, async (args) => {
      loadedSources.push(args.path)
      return { contents: await Bun.file(args.path).text(), loader: 'ts' }
    })
  },
})
const { createApp } = await import('../../../src/app')
const { loadConfig } = await import('../../../src/config')
const { createDeps } = await import('../../../src/deps')

const modules = () => [...Object.keys(require.cache), ...loadedSources]
const count = (pattern: RegExp) => new Set(modules().filter((path) => pattern.test(path))).size
const WEBJS = /node_modules\/(whatsapp-web\.js|puppeteer|puppeteer-core)\//
// The WAHA engine's code: its client, session and callback decoding (not its definition or schemas).
const WAHA = /src\/providers\/waha\/(client|session|events|mappers|callbacks|index)\.ts$/

const deps = await createDeps(loadConfig(process.env))
const app = createApp(deps)
const headers = { 'x-api-key': process.env.API_KEY ?? '' }
const started = await app.handle(new Request('http://localhost/api/whatsapp/15550001111/start', { method: 'POST', headers }))
await Bun.sleep(50)
const state = (await (await app.handle(new Request('http://localhost/api/whatsapp/15550001111/state', { headers }))).json()) as { status: string }
const report = {
  started: started.status,
  status: state.status,
  // The scanner sees modules at all: the simulator's own code is there.
  simulatorModules: count(/src\/providers\/simulator\/session\.ts$/),
  withSimulator: count(WEBJS),
  wahaWithSimulator: count(WAHA),
  afterWebjs: 0,
}
await deps.registry.get('webjs')
report.afterWebjs = count(WEBJS)
await deps.close()
console.log(JSON.stringify(report))
