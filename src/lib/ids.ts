/**
 * Identifiers. Event ids follow WAHA: `evt_` + a lower-case ULID (48-bit millisecond time,
 * 80 random bits, Crockford base32), so they sort by creation time and never repeat.
 */
import { randomBytes } from 'node:crypto'

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz'

/** A lower-case ULID (26 characters). */
export function ulid(now: number = Date.now()): string {
  let time = ''
  let t = Math.floor(now)
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time
    t = Math.floor(t / 32)
  }
  const bytes = randomBytes(10)
  // 80 random bits → 16 base32 characters, 5 bits at a time.
  let random = ''
  let buffer = 0
  let bits = 0
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte
    bits += 8
    while (bits >= 5) {
      bits -= 5
      random += CROCKFORD[(buffer >> bits) & 31]
    }
    buffer &= (1 << bits) - 1
  }
  return time + random
}

/** `evt_<ulid>`: the id of one event envelope, also its Standard Webhooks `webhook-id`. */
export function eventId(now?: number): string {
  return `evt_${ulid(now)}`
}

/** `wh_<ulid>`: a webhook subscription. */
export function webhookId(): string {
  return `wh_${ulid()}`
}
