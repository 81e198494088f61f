/**
 * The layering rules of the README's architecture section, checked from the code's own
 * imports (static, type-only, re-exports and dynamic `import()` alike): a rule that only
 * lives in prose drifts.
 */
import { describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { dirname, join, normalize } from 'node:path'

const ROOT = join(import.meta.dir, '..')

interface SourceImport {
  /** The importing file, relative to the repository (`src/…`). */
  file: string
  /** What was imported: a repository path without extension for relative imports, else the package name. */
  target: string
}

const IMPORT = /(?:^|[^\w$.])(?:import|export)\s*(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g

function importsOf(file: string): SourceImport[] {
  const text = readFileSync(join(ROOT, file), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')
  const found: SourceImport[] = []
  for (const match of text.matchAll(IMPORT)) {
    const spec = match[1] ?? match[2]!
    const target = spec.startsWith('.') ? normalize(join(dirname(file), spec)).replace(/\.(ts|js)$/, '') : spec
    found.push({ file, target })
  }
  return found
}

const SOURCES = [...new Bun.Glob('src/**/*.ts').scanSync({ cwd: ROOT })].sort()
const IMPORTS = SOURCES.flatMap(importsOf)

function importsFrom(prefix: string): SourceImport[] {
  return IMPORTS.filter((edge) => edge.file.startsWith(prefix))
}

/** `src/x` and `src/x/index` are the same module. */
function isModule(target: string, module: string): boolean {
  return target === module || target === `${module}/index`
}

function under(target: string, folder: string): boolean {
  return target === folder || target.startsWith(`${folder}/`)
}

const show = (edges: SourceImport[]) => edges.map((edge) => `${edge.file} → ${edge.target}`)

describe('layering, from the imports', () => {
  test('the import scanner sees the imports it is meant to judge', () => {
    // Guards the regex: were it to find nothing, every rule below would pass vacuously.
    expect(SOURCES.length).toBeGreaterThan(50)
    expect(IMPORTS.some((edge) => edge.file === 'src/app.ts' && edge.target === 'src/http/errors')).toBe(true)
    expect(IMPORTS.some((edge) => edge.file === 'src/app.ts' && edge.target === 'elysia')).toBe(true)
    expect(IMPORTS.some((edge) => edge.file === 'src/index.ts' && edge.target === 'src/deps')).toBe(true)
  })

  test('route modules never import the composition root (not even for a type)', () => {
    expect(show(importsFrom('src/modules/').filter((edge) => isModule(edge.target, 'src/deps')))).toEqual([])
  })

  test('only the boot and the app (for the type of what it mounts) import the composition root', () => {
    const importers = new Set(IMPORTS.filter((edge) => isModule(edge.target, 'src/deps')).map((edge) => edge.file))
    expect([...importers].sort()).toEqual(['src/app.ts', 'src/index.ts'])
  })

  test('src/lib is leaf code: it imports only itself and packages', () => {
    const outside = importsFrom('src/lib/').filter((edge) => edge.target.startsWith('src/') && !under(edge.target, 'src/lib'))
    expect(show(outside)).toEqual([])
  })

  test('HTTP concerns (the error mapper, the body parser) live in src/http, which only the app and route modules use', () => {
    const users = IMPORTS.filter((edge) => under(edge.target, 'src/http') && !edge.file.startsWith('src/http/'))
    expect(show(users.filter((edge) => edge.file !== 'src/app.ts' && !edge.file.startsWith('src/modules/')))).toEqual([])
  })

  test('storage, events, sessions, messaging, cluster and lib know nothing of Elysia', () => {
    const layers = ['src/storage/', 'src/events/', 'src/sessions/', 'src/messaging/', 'src/lib/', 'src/errors/', 'src/cluster/']
    const elysia = IMPORTS.filter((edge) => layers.some((layer) => edge.file.startsWith(layer)) && (edge.target === 'elysia' || edge.target.startsWith('@elysiajs/')))
    expect(show(elysia)).toEqual([])
  })

  const ENGINE_FOLDERS = [...new Set(SOURCES.flatMap((file) => /^src\/providers\/([^/]+)\//.exec(file)?.[1] ?? []))].map((name) => `src/providers/${name}`)

  test('there are engine folders to judge', () => {
    expect(ENGINE_FOLDERS).toEqual(expect.arrayContaining(['src/providers/webjs', 'src/providers/simulator', 'src/providers/waha']))
  })

  test('engines enter through the registry alone: nothing outside src/providers/ imports an engine folder, and in it only registry.ts', () => {
    const intoEngines = IMPORTS.filter((edge) => ENGINE_FOLDERS.some((folder) => under(edge.target, folder) && !edge.file.startsWith(`${folder}/`)))
    expect(show(intoEngines.filter((edge) => edge.file !== 'src/providers/registry.ts'))).toEqual([])
    // …and there it names each engine's definition only, never the engine's code (which loads lazily).
    expect(show(intoEngines.filter((edge) => !edge.target.endsWith('/definition')))).toEqual([])
  })

  test('route modules import no engine, directly or through the registry', () => {
    const engineCode = importsFrom('src/modules/').filter((edge) => under(edge.target, 'src/providers') && edge.target !== 'src/providers/engine')
    expect(show(engineCode)).toEqual([])
  })

  test('engines are independent of each other and know nothing of Elysia', () => {
    for (const folder of ENGINE_FOLDERS) {
      const edges = importsFrom(`${folder}/`)
      const otherEngines = edges.filter((edge) => ENGINE_FOLDERS.some((other) => other !== folder && under(edge.target, other)))
      const elysia = edges.filter((edge) => edge.target === 'elysia' || edge.target.startsWith('@elysiajs/'))
      expect({ folder, imports: show([...otherEngines, ...elysia]) }).toEqual({ folder, imports: [] })
    }
  })

  test('the engine boundary and the registry import no configuration (no config.ts ↔ providers cycle)', () => {
    expect(show(importsFrom('src/providers/').filter((edge) => isModule(edge.target, 'src/config') || isModule(edge.target, 'src/deps')))).toEqual([])
  })

  test('only src/config.ts reads the environment', () => {
    const readers = SOURCES.filter((file) => file !== 'src/config.ts' && /process\.env|Bun\.env|import\.meta\.env/.test(readFileSync(join(ROOT, file), 'utf8')))
    expect(readers).toEqual([])
  })
})
