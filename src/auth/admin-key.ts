/**
 * The admin API key: configured (plain or `sha256:<hex>`), or generated on first boot,
 * printed once, and kept only as its hash. `ServerAuthenticator` (authenticator.ts) checks it.
 */
import { randomBytes } from 'node:crypto'
import type { SettingsRepository } from '../storage/sessions-repo'
import { hashAdminKey } from './api-keys'

const GENERATED_KEY_SETTING = 'admin_key_sha256'

/**
 * The admin key hash to use: the configured one, else the one generated earlier, else a
 * new key (returned once in `generated` so boot can print it).
 */
export async function resolveAdminKey(
  configured: string | undefined,
  settings: SettingsRepository,
  allowGenerate: boolean,
): Promise<{ hash?: string; generated?: string }> {
  if (configured) return { hash: configured.startsWith('sha256:') ? configured : hashAdminKey(configured) }
  const stored = await settings.get(GENERATED_KEY_SETTING)
  if (stored) return { hash: stored }
  if (!allowGenerate) return {}
  const generated = `wws_admin_${randomBytes(32).toString('base64url')}`
  const hash = hashAdminKey(generated)
  await settings.set(GENERATED_KEY_SETTING, hash)
  return { hash, generated }
}
