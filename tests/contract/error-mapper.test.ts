/**
 * §3's one error mapper, through HTTP: a response that fails its own schema is the
 * server's fault, so 500 INTERNAL_ERROR (logged), not a 400 telling the client its input
 * was invalid ("Invalid response: …" was answered as BAD_REQUEST).
 */
import { describe, expect, test } from 'bun:test'
import { Elysia, t } from 'elysia'
import { errorsPlugin } from '../../src/http/errors'
import type { Logger } from '../../src/lib/logger'

function recordingLogger() {
  const errors: unknown[] = []
  const noop = () => {}
  const logger = { error: (...args: unknown[]) => errors.push(args), warn: noop, info: noop, debug: noop, trace: noop, fatal: noop, child: () => logger } as unknown as Logger
  return { logger, errors }
}

describe('error mapper', () => {
  test('a response failing its schema is a logged 500 without details, not a 400', async () => {
    const { logger, errors } = recordingLogger()
    const app = new Elysia()
      .use(errorsPlugin(logger, 1024 * 1024))
      .get('/broken', () => ({ count: 'not a number' }) as unknown as { count: number }, { response: { 200: t.Object({ count: t.Integer() }) } })
    const response = await app.handle(new Request('http://localhost/broken'))
    expect(response.status).toBe(500)
    expect(await response.json()).toEqual({ error: 'Internal server error', code: 'INTERNAL_ERROR', statusCode: 500 })
    expect(errors.length).toBe(1)
  })

  test('request validation stays a 400 naming the field', async () => {
    const { logger } = recordingLogger()
    const app = new Elysia().use(errorsPlugin(logger, 1024 * 1024)).post('/echo', ({ body }) => body, { body: t.Object({ count: t.Integer() }) })
    const response = await app.handle(new Request('http://localhost/echo', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"count":"x"}' }))
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ code: 'BAD_REQUEST', error: expect.stringContaining('count') })
  })

  test('a form field named __proto__ does not become the parsed body\'s prototype', async () => {
    const { logger } = recordingLogger()
    const app = new Elysia()
      .use(errorsPlugin(logger, 1024 * 1024))
      .post('/echo', ({ body }) => ({ plainObject: Object.getPrototypeOf(body) === Object.prototype, keys: Object.keys(body as object) }))
    const form = new FormData()
    form.set('text', 'hi')
    form.set('__proto__', new File(['x'], 'x.txt'))
    for (const body of [form, new URLSearchParams({ text: 'hi', __proto__: 'x' })]) {
      const response = await app.handle(new Request('http://localhost/echo', { method: 'POST', body }))
      expect(await response.json()).toEqual({ plainObject: true, keys: ['text'] })
    }
  })
})
