/**
 * WhatsApp Business's label colours: labels carry an index into this palette (WAHA's
 * `color`), and WhatsApp Web reports the colour itself (whatsapp-web.js's `hexColor`,
 * WAHA's `colorHex`). One table, so every engine converts both ways alike.
 */
export const LABEL_COLORS = [
  '#ff9485', '#64c4ff', '#ffd429', '#dfaef0', '#99b6c1',
  '#55ccb3', '#ff9dff', '#d3a91d', '#6d7cce', '#d7e752',
  '#00d0e2', '#ffc5c7', '#93ceac', '#f74848', '#00a0f2',
  '#83e422', '#ffaf04', '#b5ebff', '#9ba6ff', '#9368cf',
] as const

export const MAX_LABEL_COLOR = LABEL_COLORS.length - 1

export function labelColorHex(color: number): string {
  return LABEL_COLORS[((color % LABEL_COLORS.length) + LABEL_COLORS.length) % LABEL_COLORS.length]!
}

/** The palette index of a colour (case-insensitive, `#` optional); the nearest one for a colour outside the palette. */
export function labelColorIndex(hex: string): number {
  const wanted = hex.trim().toLowerCase().replace(/^#?/, '#')
  const exact = LABEL_COLORS.indexOf(wanted as (typeof LABEL_COLORS)[number])
  if (exact >= 0) return exact
  const rgb = (value: string) => [1, 3, 5].map((at) => Number.parseInt(value.slice(at, at + 2), 16))
  const target = rgb(wanted)
  if (target.some((channel) => Number.isNaN(channel))) return 0
  let best = 0
  let bestDistance = Number.POSITIVE_INFINITY
  LABEL_COLORS.forEach((candidate, index) => {
    const distance = rgb(candidate).reduce((sum, channel, at) => sum + (channel - target[at]!) ** 2, 0)
    if (distance < bestDistance) {
      best = index
      bestDistance = distance
    }
  })
  return best
}
