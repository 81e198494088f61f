/**
 * Media given as a URL, fetched through the safe fetcher from a test server on
 * 127.0.0.1: allowed only with OUTBOUND_ALLOW_CIDRS=127.0.0.1/32, redirects re-checked,
 * the size limit enforced while streaming, failures reported as 502.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { createTestServer, type TestServer } from '../helpers/app'
import { A, B, history, historyWhen, jid, PDF, PNG } from '../helpers/whatsapp'

let media: ReturnType<typeof Bun.serve>
let base = ''
const hits: string[] = []

beforeAll(() => {
  media = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      const url = new URL(request.url)
      hits.push(url.pathname)
      switch (url.pathname) {
        case '/photo.png':
          return new Response(PNG, { headers: { 'content-type': 'image/png' } })
        case '/untyped':
          // No useful type: the bytes tell it is a PNG.
          return new Response(PNG, { headers: { 'content-type': 'application/octet-stream' } })
        case '/docs/report.pdf':
          return new Response(PDF, { headers: { 'content-type': 'application/pdf' } })
        case '/moved':
          return new Response(null, { status: 302, headers: { location: '/photo.png' } })
        case '/to-other-loopback':
          return new Response(null, { status: 302, headers: { location: `http://127.0.0.2:${url.port}/photo.png` } })
        case '/huge':
          return new Response(new Uint8Array(200_000), { headers: { 'content-type': 'image/png' } })
        case '/slow':
          await Bun.sleep(2000)
          return new Response(PNG, { headers: { 'content-type': 'image/png' } })
        default:
          return new Response('not found', { status: 404 })
      }
    },
  })
  base = `http://127.0.0.1:${media.port}`
})
afterAll(() => {
  media.stop(true)
})

let server: TestServer
afterEach(async () => {
  await server.close()
})

async function linked(env: Record<string, string> = {}) {
  server = await createTestServer(env)
  await server.link(A)
  await server.link(B)
}

describe('media from a URL', () => {
  test('with 127.0.0.1/32 allowed: the image is fetched, sent, and B downloads identical bytes', async () => {
    await linked({ OUTBOUND_ALLOW_CIDRS: '127.0.0.1/32' })
    const sent = await server.call('POST', `/${A}/send-image`, { body: { chatId: B, imageUrl: `${base}/photo.png`, caption: 'from a URL' } })
    expect(sent.status).toBe(200)
    const [received] = await historyWhen(server, B, jid(A), (m) => m.length === 1)
    expect(received).toMatchObject({ type: 'image', body: 'from a URL', media: { mimetype: 'image/png', filename: 'photo.png' } })
    const download = await server.request('GET', `/${B}/messages/${jid(A)}/${received!.id}/media`)
    expect(download.headers.get('content-type')).toBe('image/png')
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(PNG)
  })

  test('the type comes from the bytes when the server does not say, and a file keeps its URL name', async () => {
    await linked({ OUTBOUND_ALLOW_CIDRS: '127.0.0.1/32' })
    expect((await server.call('POST', `/${A}/send-image`, { body: { chatId: B, imageUrl: `${base}/untyped` } })).status).toBe(200)
    expect((await server.call('POST', `/${A}/send-file`, { body: { chatId: B, fileUrl: `${base}/docs/report.pdf` } })).status).toBe(200)
    const [file, image] = (await history(server, A, jid(B))).messages
    expect(image!.media).toMatchObject({ mimetype: 'image/png' })
    expect(file!.media).toMatchObject({ mimetype: 'application/pdf', filename: 'report.pdf' })
  })

  test('a redirect is followed and re-checked', async () => {
    await linked({ OUTBOUND_ALLOW_CIDRS: '127.0.0.1/32' })
    expect((await server.call('POST', `/${A}/send-image`, { body: { chatId: B, imageUrl: `${base}/moved` } })).status).toBe(200)
    // 127.0.0.2 is loopback too, but not allowlisted: the redirect there is refused.
    const refused = await server.call('POST', `/${A}/send-image`, { body: { chatId: B, imageUrl: `${base}/to-other-loopback` } })
    expect(refused.status).toBe(400)
    expect(refused.body.error).toContain('imageUrl')
    expect((await history(server, A, jid(B))).messages).toHaveLength(1)
  })

  test('without the allowlist, loopback and private URLs are refused before any request, and nothing is sent', async () => {
    await linked()
    const before = hits.length
    for (const url of [`${base}/photo.png`, `http://[::1]:${media.port}/photo.png`, `http://2130706433:${media.port}/photo.png`, 'http://169.254.169.254/latest', 'http://10.0.0.1/x.png']) {
      const response = await server.call('POST', `/${A}/send-image`, { body: { chatId: B, imageUrl: url } })
      expect(response.status, url).toBe(400)
      expect(response.body).toMatchObject({ code: 'BAD_REQUEST' })
      expect(response.body.error).toContain('imageUrl')
    }
    expect(hits.length).toBe(before)
    expect((await server.call('GET', `/${A}/messages/${B}`)).status).toBe(404)
  })

  test('a body over the media limit is cut off: 413', async () => {
    await linked({ OUTBOUND_ALLOW_CIDRS: '127.0.0.1/32', MEDIA_MAX_IMAGE_BYTES: '100000' })
    const response = await server.call('POST', `/${A}/send-image`, { body: { chatId: B, imageUrl: `${base}/huge` } })
    expect(response.status).toBe(413)
    expect(response.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', details: { field: 'imageUrl', limit: 100000 } })
  })

  test('a URL answering 404, or too slowly, is an upstream failure: 502', async () => {
    await linked({ OUTBOUND_ALLOW_CIDRS: '127.0.0.1/32', OUTBOUND_FETCH_TIMEOUT_MS: '200' })
    const missing = await server.call('POST', `/${A}/send-image`, { body: { chatId: B, imageUrl: `${base}/nothing.png` } })
    expect(missing.status).toBe(502)
    expect(missing.body).toMatchObject({ code: 'UPSTREAM_ERROR', details: { field: 'imageUrl', status: 404 } })
    const slow = await server.call('POST', `/${A}/send-image`, { body: { chatId: B, imageUrl: `${base}/slow` } })
    expect(slow.status).toBe(502)
    expect(slow.body.error).toContain('timed out')
  })

  test('profile and group pictures take URLs too', async () => {
    await linked({ OUTBOUND_ALLOW_CIDRS: '127.0.0.1/32' })
    expect((await server.call('PUT', `/${A}/profile/picture`, { body: { imageUrl: `${base}/photo.png` } })).status).toBe(200)
    const picture = await server.call<{ url: string }>('GET', `/${B}/contact/${A}/profile-picture`)
    expect(picture.body.url).toBe(`data:image/png;base64,${Buffer.from(PNG).toString('base64')}`)
  })
})
