/**
 * WhatsApp group invite codes: the part after `https://chat.whatsapp.com/`. People paste the
 * whole link (with or without the scheme, sometimes with a query or a trailing slash), so
 * both forms are read; anything else is a client mistake.
 */
import { BadRequestError } from './errors'

/** WhatsApp's codes are 22 letters and digits today; older ones were shorter, so a range is allowed. */
export const INVITE_CODE_PATTERN = '^[A-Za-z0-9]{10,40}$'
const CODE = new RegExp(INVITE_CODE_PATTERN)
const LINK = /^(?:https?:\/\/)?chat\.whatsapp\.com\/(?:invite\/)?([A-Za-z0-9]+)\/?(?:[?#].*)?$/i

export const INVITE_EXAMPLE_CODE = 'AbCdEfGhIjKlMnOpQrStUv'

export function parseInviteCode(raw: string, field = 'invite'): string {
  const value = raw.trim()
  const code = CODE.test(value) ? value : LINK.exec(value)?.[1]
  if (!code || !CODE.test(code)) {
    throw new BadRequestError(`${field} must be an invite code or a https://chat.whatsapp.com/<code> link`, { field })
  }
  return code
}
