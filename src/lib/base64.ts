import { BadRequestError } from './errors'

const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
const DATA_URL = /^data:([^;,]+)(?:;[^;,=]+=[^;,]+)*;base64,(.*)$/s

/** Decodes standard base64, refusing anything a lenient decoder would silently skip. */
export function decodeBase64Strict(value: string, field: string): Uint8Array {
  const compact = value.replace(/\s+/g, '')
  if (!STRICT_BASE64.test(compact)) throw new BadRequestError(`${field} is not valid base64`, { field })
  return Uint8Array.from(Buffer.from(compact, 'base64'))
}

/** Splits a `data:<mime>;base64,<data>` URL; undefined when the value is not one. */
export function parseDataUrl(value: string, field: string): { mimeType: string; data: Uint8Array } | undefined {
  if (!value.startsWith('data:')) return undefined
  const match = value.match(DATA_URL)
  if (!match?.[1] || match[2] === undefined) throw new BadRequestError(`${field} is a data URL but not data:<mime>;base64,<data>`, { field })
  return { mimeType: match[1], data: decodeBase64Strict(match[2], field) }
}
