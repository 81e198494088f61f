/**
 * A small S3-compatible object store on 127.0.0.1 for tests: path-style PUT, GET (with
 * Range), HEAD, DELETE of objects and ListObjectsV2, in memory. Signatures are not
 * checked, but every request must carry one (Bun's S3 client signs each), and the
 * requests are recorded.
 */
export interface FakeS3 {
  url: string
  bucket: string
  objects: Map<string, Uint8Array<ArrayBuffer>>
  requests: Array<{ method: string; path: string }>
  close(): Promise<void>
}

const xmlEscape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

export function startFakeS3(bucket = 'media-test'): FakeS3 {
  const objects = new Map<string, Uint8Array<ArrayBuffer>>()
  const requests: FakeS3['requests'] = []
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      const url = new URL(request.url)
      requests.push({ method: request.method, path: url.pathname + url.search })
      if (!request.headers.get('authorization')?.startsWith('AWS4-HMAC-SHA256')) return new Response('unsigned', { status: 403 })
      const prefix = `/${bucket}`
      if (!url.pathname.startsWith(prefix)) return new Response('<Error><Code>NoSuchBucket</Code></Error>', { status: 404 })
      const key = decodeURIComponent(url.pathname.slice(prefix.length + 1))
      if (key === '' && request.method === 'GET') {
        const wanted = url.searchParams.get('prefix') ?? ''
        const keys = [...objects.keys()].filter((k) => k.startsWith(wanted)).sort()
        const contents = keys.map((k) => `<Contents><Key>${xmlEscape(k)}</Key><Size>${objects.get(k)!.byteLength}</Size></Contents>`).join('')
        return new Response(
          `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>${bucket}</Name><Prefix>${xmlEscape(wanted)}</Prefix><KeyCount>${keys.length}</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>${contents}</ListBucketResult>`,
          { headers: { 'content-type': 'application/xml' } },
        )
      }
      const stored = objects.get(key)
      switch (request.method) {
        case 'PUT':
          objects.set(key, new Uint8Array(await request.arrayBuffer()))
          return new Response(null, { status: 200, headers: { etag: '"fake"' } })
        case 'HEAD':
          return stored ? new Response(null, { headers: { 'content-length': String(stored.byteLength), etag: '"fake"' } }) : new Response(null, { status: 404 })
        case 'GET': {
          if (!stored) return new Response('<Error><Code>NoSuchKey</Code></Error>', { status: 404, headers: { 'content-type': 'application/xml' } })
          const range = /^bytes=(\d+)-(\d*)$/.exec(request.headers.get('range') ?? '')
          if (range) {
            const start = Number(range[1])
            const end = range[2] ? Number(range[2]) : stored.byteLength - 1
            return new Response(stored.slice(start, end + 1), { status: 206, headers: { 'content-range': `bytes ${start}-${end}/${stored.byteLength}` } })
          }
          return new Response(stored)
        }
        case 'DELETE':
          objects.delete(key)
          return new Response(null, { status: 204 })
        default:
          return new Response('not implemented', { status: 501 })
      }
    },
  })
  return {
    url: `http://127.0.0.1:${server.port}`,
    bucket,
    objects,
    requests,
    async close() {
      await server.stop(true)
    },
  }
}
