import { expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

const root = join(import.meta.dir, '..')
const read = (file: string) => readFileSync(join(root, file), 'utf8')

test('every setting src/config.ts and the engines read is documented in the README table and .env.example', () => {
  const readers = ['src/config.ts', ...new Bun.Glob('src/providers/*/definition.ts').scanSync({ cwd: root })]
  expect(readers.length).toBeGreaterThan(3)
  const names = readers.flatMap((file) => [...read(file).matchAll(/read\.\w+\('([A-Z0-9_]+)'/g)].map((match) => match[1]!))
  expect(names.length).toBeGreaterThan(10)
  const readme = read('README.md')
  const example = read('.env.example')
  for (const name of new Set(names)) {
    expect(readme.includes(`\`${name}\``), `README lacks ${name}`).toBe(true)
    expect(new RegExp(`^#? ?${name}=`, 'm').test(example), `.env.example lacks ${name}`).toBe(true)
  }
})

test("the README's two commands are the package scripts that exist", () => {
  const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts
  const readme = read('README.md')
  expect(readme).toContain('npm install && npm start')
  expect(readme).toContain('npm test')
  expect(scripts.start).toBe('bun src/index.ts')
  expect(scripts.test).toStartWith('bun test')
})

test("the README's list of WAHA operations is the one printed from the catalog", async () => {
  const { operationsMarkdown } = await import('../scripts/waha-operations')
  expect(read('README.md')).toContain(operationsMarkdown())
})
