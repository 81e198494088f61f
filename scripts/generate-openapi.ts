import { buildOpenApiDocument, OPENAPI_FILE } from './openapi'

await Bun.write(OPENAPI_FILE, await buildOpenApiDocument())
console.log(`wrote ${OPENAPI_FILE}`)
