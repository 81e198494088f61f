/**
 * WAHA callback envelopes for tests, built from WAHA's published webhook schemas
 * (`webhooks` in shared/waha/openapi.json) and checked against them and against ours
 * (`src/providers/waha/model.ts`), so a test cannot post an envelope WAHA would not send.
 */
import { expect } from 'bun:test'
import { Value } from '@sinclair/typebox/value'

import type { WahaEnvelope } from '../../src/providers/waha/events'
import { WahaMessageWebhookBody, WahaStateChangeWebhookBody } from '../../src/providers/waha/model'
import { loadWahaOpenApi } from './waha-openapi'

/** The published sample of `event`, changed by `patch`, validated against both schemas. */
export function publishedEnvelope(event: string, patch: (envelope: Record<string, unknown>) => void = () => {}): WahaEnvelope {
  const openapi = loadWahaOpenApi()
  const schema = openapi.document.webhooks?.[event]?.post?.requestBody?.content['application/json']?.schema
  if (!schema) throw new Error(`WAHA publishes no webhook "${event}"`)
  const envelope = openapi.sample(schema) as Record<string, unknown>
  patch(envelope)
  expect(openapi.validate(schema, envelope, event)).toEqual([])
  const ours = event === 'session.status' || event === 'state.change' ? WahaStateChangeWebhookBody : WahaMessageWebhookBody
  expect([...Value.Errors(ours, envelope)].map((error) => `${error.path} ${error.message}`)).toEqual([])
  return envelope as unknown as WahaEnvelope
}

export function payloadOf(envelope: Record<string, unknown>): Record<string, unknown> {
  return envelope.payload as Record<string, unknown>
}
