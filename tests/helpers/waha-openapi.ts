/**
 * WAHA's published OpenAPI document (shared/waha/openapi.json, beside the repo), loaded
 * for tests, with a JSON-schema validator (ajv, draft 2020-12 as OpenAPI 3.1 uses) over
 * its `components.schemas`.
 *
 * The document is used as published, except for a few mechanical repairs of defects that
 * would make a correct request fail validation; each is listed in `repairs` and is
 * derived from the document itself, never from what our client sends:
 * 1. `nullable: true` (an OpenAPI 3.0 keyword, meaningless in a 3.1 document) → the
 *    schema also admits `null`.
 * 2. `required: true` inside a property schema (not valid JSON Schema) → the property is
 *    added to the parent object's `required` list.
 * 3. `type: "object"` without properties whose `default`/`enum` are strings or booleans
 *    (NestJS swagger's rendering of TS unions and enums: the webhooks' `event`, the voice
 *    and video files' `mimetype`/`filename`, `MessagePoll.multipleAnswers`) → the type of
 *    those values.
 * 4. an array of bare `{type: "object"}` items whose own `example` is an array of strings
 *    (`WebhookConfig.events`, the same artefact) → items of type string.
 * 5. an array whose items are arrays of strings but carry a single string as `example`
 *    (`MessagePollVoteRequest.votes`: NestJS doubling `isArray` with `type: [String]`;
 *    WAHA itself takes `votes: string[]`) → items of type string.
 */
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020'
import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'

export type JsonSchema = { [key: string]: unknown }

export interface OpenApiParameter {
  name: string
  in: 'path' | 'query' | 'header' | 'cookie'
  required?: boolean
  schema?: JsonSchema
}

export interface OpenApiMediaType {
  schema?: JsonSchema
}

export interface OpenApiOperation {
  operationId: string
  deprecated?: boolean
  parameters?: OpenApiParameter[]
  requestBody?: { required?: boolean; content: Record<string, OpenApiMediaType> }
  responses: Record<string, { description?: string; content?: Record<string, OpenApiMediaType> }>
  security?: Array<Record<string, string[]>>
}

export type HttpMethod = 'get' | 'post' | 'put' | 'delete' | 'patch'
export const HTTP_METHODS: readonly HttpMethod[] = ['get', 'post', 'put', 'delete', 'patch']

export interface OpenApiDocument {
  openapi: string
  info: { title: string; version: string }
  paths: Record<string, Partial<Record<HttpMethod, OpenApiOperation>>>
  components: { schemas: Record<string, JsonSchema>; securitySchemes?: Record<string, JsonSchema> }
  webhooks?: Record<string, { post?: OpenApiOperation }>
  security?: Array<Record<string, string[]>>
}

/** `<repo>/../shared/waha/openapi.json`, found from this file, whatever the working directory. */
export const WAHA_OPENAPI_PATH = resolve(import.meta.dir, '..', '..', '..', 'shared', 'waha', 'openapi.json')

const SCHEMA_ID_BASE = 'https://waha.openapi.local/components/schemas/'
const LOCAL_REF = '#/components/schemas/'

function isRecord(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function repairSchema(schema: JsonSchema, at: string, repairs: string[]): void {
  // 2. boolean `required` on properties → the parent's `required` array.
  const properties = schema.properties
  if (isRecord(properties)) {
    for (const [name, property] of Object.entries(properties)) {
      if (isRecord(property) && typeof property.required === 'boolean') {
        if (property.required) {
          const required = Array.isArray(schema.required) ? (schema.required as string[]) : []
          if (!required.includes(name)) required.push(name)
          schema.required = required
        }
        delete property.required
        repairs.push(`${at}/properties/${name}: boolean "required" moved to the parent's "required"`)
      }
    }
  }
  if (typeof schema.required === 'boolean') {
    delete schema.required
    repairs.push(`${at}: boolean "required" on a non-property schema dropped`)
  }

  // 3. `type: object` standing for a string/boolean union or enum.
  if (schema.type === 'object' && !isRecord(schema.properties)) {
    const samples = [schema.default, ...(Array.isArray(schema.enum) ? schema.enum : [])].filter(
      (value) => value !== undefined && value !== null,
    )
    const kinds = new Set(samples.map((value) => typeof value))
    if (samples.length > 0 && kinds.size === 1) {
      const kind = [...kinds][0]
      if (kind === 'string' || kind === 'boolean' || kind === 'number') {
        schema.type = kind
        repairs.push(`${at}: "type: object" with ${kind} default/enum → type ${kind}`)
      }
    }
  }

  // 4. array of bare objects whose example is an array of strings.
  if (schema.type === 'array' && isRecord(schema.items)) {
    const items = schema.items
    const example = schema.example
    if (
      items.type === 'object' &&
      !isRecord(items.properties) &&
      Array.isArray(example) &&
      example.length > 0 &&
      example.every((value) => typeof value === 'string')
    ) {
      items.type = 'string'
      repairs.push(`${at}/items: bare "type: object" with a string example → type string`)
    }
  }

  // 5. array of arrays of strings whose inner array's own `example` is ONE string
  //    (NestJS swagger doubling `isArray` with `type: [String]`: MessagePollVoteRequest.votes).
  if (schema.type === 'array' && isRecord(schema.items)) {
    const items = schema.items
    if (items.type === 'array' && isRecord(items.items) && items.items.type === 'string' && typeof items.example === 'string') {
      const { description, example } = items
      schema.items = { type: 'string', ...(description !== undefined && { description }), example }
      repairs.push(`${at}/items: array of string arrays with a single-string example → string items`)
    }
  }

  // 1. OpenAPI 3.0 `nullable`.
  if (schema.nullable === true) {
    delete schema.nullable
    if (typeof schema.type === 'string') {
      schema.type = [schema.type, 'null']
      if (Array.isArray(schema.enum)) schema.enum = [...schema.enum, null]
    } else {
      const rest: JsonSchema = { ...schema }
      for (const key of Object.keys(schema)) delete schema[key]
      schema.anyOf = [rest, { type: 'null' }]
    }
    repairs.push(`${at}: "nullable: true" → also admits null`)
  } else if (schema.nullable === false) {
    delete schema.nullable
  }

  for (const [key, value] of Object.entries(schema)) {
    if (key === 'example' || key === 'examples' || key === 'default' || key === 'enum') continue
    if (isRecord(value)) repairSchema(value, `${at}/${key}`, repairs)
    else if (Array.isArray(value)) value.forEach((item, index) => isRecord(item) && repairSchema(item, `${at}/${key}/${index}`, repairs))
  }
}

/** Local `#/components/schemas/X` references → absolute ids registered with ajv. */
function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs)
  if (!isRecord(value)) return value
  const out: JsonSchema = {}
  for (const [key, inner] of Object.entries(value)) {
    if (key === '$ref' && typeof inner === 'string' && inner.startsWith(LOCAL_REF)) {
      out[key] = SCHEMA_ID_BASE + inner.slice(LOCAL_REF.length)
    } else if (key === 'example' || key === 'examples') {
      out[key] = inner
    } else {
      out[key] = rewriteRefs(inner)
    }
  }
  return out
}

export interface WahaOpenApi {
  document: OpenApiDocument
  /** What was repaired, one line each (see the module comment). */
  repairs: string[]
  /** Validates a value against a schema from the document (inline or `$ref`); [] when valid. */
  validate(schema: JsonSchema, value: unknown, label?: string): string[]
  /** Validates against `components.schemas[name]`. */
  validateComponent(name: string, value: unknown, label?: string): string[]
  /**
   * A value built from a schema of the document: every property (or only the required
   * ones), each from its `example`, else `default`, else first `enum` value, else a
   * placeholder of its type; `$ref`/`allOf` resolved, first `oneOf`/`anyOf` branch.
   */
  sample(schema: JsonSchema, options?: { requiredOnly?: boolean }): unknown
}

function sampleOf(
  schemas: Record<string, JsonSchema>,
  schema: JsonSchema,
  requiredOnly: boolean,
  depth: number,
): unknown {
  if (depth > 40) throw new Error("Schema nests too deep to sample")
  const ref = schema.$ref
  if (typeof ref === 'string' && ref.startsWith(LOCAL_REF)) {
    const target = schemas[ref.slice(LOCAL_REF.length)]
    if (!target) throw new Error(`Unresolved ${ref}`)
    return sampleOf(schemas, target, requiredOnly, depth + 1)
  }
  if (Array.isArray(schema.allOf)) {
    const parts = schema.allOf.filter(isRecord).map((part) => sampleOf(schemas, part, requiredOnly, depth + 1))
    if (parts.every(isRecord)) return Object.assign({}, ...parts)
    return parts[0]
  }
  for (const key of ['oneOf', 'anyOf'] as const) {
    const branches = schema[key]
    if (Array.isArray(branches)) {
      const first = branches.find((branch) => isRecord(branch) && branch.type !== 'null')
      if (isRecord(first)) return sampleOf(schemas, first, requiredOnly, depth + 1)
    }
  }
  const types = Array.isArray(schema.type) ? schema.type : [schema.type]
  const type = types.find((t) => t !== 'null')
  if (type === 'object' || isRecord(schema.properties)) {
    const properties = isRecord(schema.properties) ? schema.properties : {}
    const required = Array.isArray(schema.required) ? (schema.required as string[]) : []
    if (Object.keys(properties).length === 0 && isRecord(schema.example)) return schema.example
    const out: Record<string, unknown> = {}
    for (const [name, property] of Object.entries(properties)) {
      if (requiredOnly && !required.includes(name)) continue
      if (isRecord(property)) out[name] = sampleOf(schemas, property, requiredOnly, depth + 1)
    }
    return out
  }
  for (const candidate of [schema.example, schema.default, Array.isArray(schema.enum) ? schema.enum[0] : undefined]) {
    if (candidate !== undefined && candidate !== null) return candidate
  }
  switch (type) {
    case 'string':
      return 'x'
    case 'number':
    case 'integer':
      return 1
    case 'boolean':
      return true
    case 'array':
      return isRecord(schema.items) ? [sampleOf(schemas, schema.items, requiredOnly, depth + 1)] : []
    default:
      return {}
  }
}

function formatErrors(errors: ErrorObject[] | null | undefined, label: string): string[] {
  return (errors ?? []).map((error) => {
    const where = `${label}${error.instancePath}`
    const extra =
      error.keyword === 'additionalProperties' && isRecord(error.params)
        ? ` (${String(error.params.additionalProperty)})`
        : error.keyword === 'enum' && isRecord(error.params)
          ? ` (${JSON.stringify(error.params.allowedValues)})`
          : ''
    return `${where} ${error.message ?? error.keyword}${extra}`
  })
}

let cached: WahaOpenApi | undefined

export function loadWahaOpenApi(): WahaOpenApi {
  if (cached) return cached
  if (!existsSync(WAHA_OPENAPI_PATH)) {
    throw new Error(`WAHA's OpenAPI document is not at ${WAHA_OPENAPI_PATH}: the WAHA tests validate against the shared/ folder that sits beside this checkout (as in CI)`)
  }
  const parsed: unknown = JSON.parse(readFileSync(WAHA_OPENAPI_PATH, 'utf8'))
  if (!isRecord(parsed) || !isRecord(parsed.paths) || !isRecord(parsed.components)) {
    throw new Error(`${WAHA_OPENAPI_PATH} is not an OpenAPI document`)
  }
  const document = parsed as unknown as OpenApiDocument
  const repairs: string[] = []
  for (const [name, schema] of Object.entries(document.components.schemas)) {
    repairSchema(schema, `#/components/schemas/${name}`, repairs)
  }
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = item[method]
      if (!operation) continue
      for (const parameter of operation.parameters ?? []) {
        if (parameter.schema) repairSchema(parameter.schema, `${method} ${path} ${parameter.name}`, repairs)
      }
      for (const media of Object.values(operation.requestBody?.content ?? {})) {
        if (media.schema) repairSchema(media.schema, `${method} ${path} requestBody`, repairs)
      }
      for (const [status, response] of Object.entries(operation.responses)) {
        for (const media of Object.values(response.content ?? {})) {
          if (media.schema) repairSchema(media.schema, `${method} ${path} ${status}`, repairs)
        }
      }
    }
  }

  const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictRequired: false, allowUnionTypes: true })
  ajv.addKeyword('example') // an OpenAPI annotation
  ajv.addFormat('binary', true) // OpenAPI's "file contents" format: any string
  for (const [name, schema] of Object.entries(document.components.schemas)) {
    ajv.addSchema(rewriteRefs(schema) as JsonSchema, SCHEMA_ID_BASE + name)
  }

  const compiled = new Map<JsonSchema, ValidateFunction>()
  const validate = (schema: JsonSchema, value: unknown, label = 'value'): string[] => {
    let check = compiled.get(schema)
    if (!check) {
      check = ajv.compile(rewriteRefs(schema) as JsonSchema)
      compiled.set(schema, check)
    }
    return check(value) ? [] : formatErrors(check.errors, label)
  }
  const validateComponent = (name: string, value: unknown, label = name): string[] => {
    const check = ajv.getSchema(SCHEMA_ID_BASE + name)
    if (!check) throw new Error(`No schema ${name} in the WAHA document`)
    return check(value) ? [] : formatErrors(check.errors, label)
  }

  const sample = (schema: JsonSchema, options: { requiredOnly?: boolean } = {}): unknown =>
    sampleOf(document.components.schemas, schema, options.requiredOnly ?? false, 0)

  cached = { document, repairs, validate, validateComponent, sample }
  return cached
}
