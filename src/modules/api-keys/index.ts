import { Elysia } from 'elysia'
import { authGuards, type GuardDeps } from '../../auth/guards'
import { guardedErrors } from '../common/model'
import { ApiKeyIdParams, ApiKeyList, ApiKeyListQuery, CreateApiKeyBody, CreatedApiKey, RevokedApiKey } from './model'
import type { ApiKeysService } from './service'

const tags = ['API keys']

export function apiKeysModule(deps: GuardDeps, service: ApiKeysService) {
  return new Elysia({ name: 'api-keys', seed: deps })
    .use(authGuards(deps))
    .post(
      '/api-keys',
      async ({ principal, body, set }) => {
        set.status = 201
        return service.create(principal, body)
      },
      {
        requireAuth: true,
        body: CreateApiKeyBody,
        response: { 201: CreatedApiKey, ...guardedErrors },
        detail: {
          tags,
          summary: 'Create an API key',
          description:
            'Creates an account API key for a backend and returns it **once** (`wws_<id>_<secret>`; only a SHA-256 of the secret is stored). ' +
            'Send it as `X-Api-Key` or `Authorization: Bearer`. An account (JWT or account key) creates keys for itself; the admin key must name `accountId`. ' +
            '`phoneNumber` restricts the key to one number (403 on any other), `expiresAt` makes it stop working then. ' +
            'A key never mints a wider one: a key restricted to a number can only create keys for that number (the default), and an expiring key only keys that expire no later (the default) — asking for more is 403. ' +
            'A number owned by another account is 403.',
        },
      },
    )
    .get('/api-keys', ({ principal, query }) => service.list(principal, query), {
      requireAuth: true,
      query: ApiKeyListQuery,
      response: { 200: ApiKeyList, ...guardedErrors },
      detail: {
        tags,
        summary: 'List API keys',
        description:
          "The caller's account keys that are not revoked, newest first, never with their secret. The admin sees every account's (or one account's with `accountId`); a key restricted to one number sees only keys restricted to that number.",
      },
    })
    .delete('/api-keys/:id', ({ principal, params }) => service.revoke(principal, params.id), {
      requireAuth: true,
      params: ApiKeyIdParams,
      response: { 200: RevokedApiKey, ...guardedErrors },
      detail: {
        tags,
        summary: 'Revoke an API key',
        description:
          'Revokes the key at once: its next request is 401. 404 for a key that does not exist, is already revoked, or is not the caller\'s to revoke.',
      },
    })
}
