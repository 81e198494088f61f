/**
 * Builds the OpenAPI document from the app itself, so the committed
 * `openapi/openapi.json` can never drift from the routes (a test compares them).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createApp } from '../src/app'
import { loadConfig } from '../src/config'
import { createDeps } from '../src/deps'
import { SPEC_PATH } from '../src/modules/docs'

export const OPENAPI_FILE = join(import.meta.dir, '..', 'openapi', 'openapi.json')

export async function buildOpenApiDocument(): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'wws-openapi-'))
  const config = loadConfig({ DATA_DIR: dataDir, WA_ENGINE: 'simulator', API_KEY: 'openapi-generation-key', LOG_LEVEL: 'silent', PRINT_QR: 'false' })
  const deps = await createDeps(config)
  try {
    const response = await createApp(deps).handle(new Request(`http://localhost${SPEC_PATH}`))
    if (!response.ok) throw new Error(`spec route answered ${response.status}`)
    return `${JSON.stringify(await response.json(), null, 2)}\n`
  } finally {
    await deps.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
}
