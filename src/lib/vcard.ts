/**
 * The one vCard builder: a vCard 3.0 as WhatsApp itself writes contact cards, with the
 * `waid` parameter that makes the card open a chat with the number. Every engine sends
 * what this builds, so a card looks the same whichever engine carries it.
 */

export interface ContactCard {
  fullName: string
  /** Any spelling of a phone number: `+966 500-000-003`, `966500000003`; only its digits count. */
  phoneNumber: string
  organization?: string
}

/** vCard 3.0 text escaping (RFC 2426 §4): backslash, newline, comma and semicolon. */
function escapeText(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\r?\n/g, '\\n').replace(/([,;])/g, '\\$1')
}

export function buildVcard(card: ContactCard): string {
  const digits = card.phoneNumber.replace(/\D/g, '')
  return [
    'BEGIN:VCARD',
    'VERSION:3.0',
    `FN:${escapeText(card.fullName)}`,
    // ORG is structured (name;unit); WhatsApp writes the name with an empty unit.
    ...(card.organization ? [`ORG:${escapeText(card.organization)};`] : []),
    `TEL;type=CELL;type=VOICE;waid=${digits}:+${digits}`,
    'END:VCARD',
  ].join('\n')
}
