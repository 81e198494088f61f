/** Schemas shared by every feature module: the error envelope and the phone-number param. */
import { t } from 'elysia'
import { PHONE_NUMBER_PATTERN } from '../../lib/phone'

export const ErrorEnvelope = t.Object(
  {
    error: t.String({ description: 'What went wrong, for a person' }),
    code: t.String({ description: 'Stable machine-readable code', examples: ['BAD_REQUEST'] }),
    statusCode: t.Integer({ examples: [400] }),
    details: t.Optional(t.Unknown({ description: 'Extra context, e.g. validation issues' })),
  },
  { description: 'Every non-2xx response', examples: [{ error: 'Session 966500000001 not found', code: 'NOT_FOUND', statusCode: 404 }] },
)

export const PhoneNumberParam = t.String({
  pattern: PHONE_NUMBER_PATTERN,
  description: "The session's WhatsApp number: 7–15 digits, a leading + is accepted",
  examples: ['966500000001'],
})

export const PhoneParams = t.Object({ phoneNumber: PhoneNumberParam })

/** Error responses every guarded route can give, for the OpenAPI document. */
export const guardedErrors = {
  400: ErrorEnvelope,
  401: ErrorEnvelope,
  403: ErrorEnvelope,
  404: ErrorEnvelope,
  429: ErrorEnvelope,
  500: ErrorEnvelope,
} as const

/**
 * An enum of string literals. Use this, never `t.UnionEnum`: Elysia fills an absent
 * optional UnionEnum with its first member (an empty start body became engine "webjs").
 */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T, options: { description?: string } = {}) {
  // Unsafe keeps the Union's kind (so it validates as one) and spells its static type as the literal union.
  return t.Unsafe<T[number]>(t.Union(values.map((value) => t.Literal(value)), options))
}

/**
 * An enum of string literals for RESPONSES: a string with `enum` (for the document) and
 * the same list as a `pattern` (so it still validates). Elysia's response mirror treats
 * `oneOf`'s union member by member — for an array of 60 capabilities, thousands of checks
 * per answer, 13% of a `GET /:n/state` profile; a string costs one check.
 */
export function oneOfString<const T extends readonly [string, ...string[]]>(values: T, options: { description?: string } = {}) {
  const pattern = `^(?:${values.map((value) => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})$`
  return t.Unsafe<T[number]>(t.String({ enum: [...values], pattern, ...options }))
}
