import { Elysia } from 'elysia'
import type { EngineName } from '../../config'
import { Health } from '../sessions/model'

const startedAt = Date.now()

export function healthModule(info: { version: string; engines: EngineName[]; defaultEngine: EngineName }) {
  return new Elysia({ name: 'health', seed: info }).get(
    '/health',
    () => ({ status: 'ok' as const, version: info.version, uptimeSeconds: Math.round((Date.now() - startedAt) / 1000), engines: info.engines, defaultEngine: info.defaultEngine }),
    {
      response: { 200: Health },
      detail: { tags: ['Health'], summary: 'Liveness', description: 'Public: no credentials needed.', security: [] },
    },
  )
}
