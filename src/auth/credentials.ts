/**
 * Reads the presented credential from the headers the contract allows: `X-Api-Key`, or
 * `Authorization: Bearer <token>`. Never from a query string, where it would be logged.
 */
export function presentedToken(headers: Headers): string | undefined {
  const apiKey = headers.get('x-api-key')?.trim()
  if (apiKey) return apiKey
  const authorization = headers.get('authorization')?.trim()
  const match = authorization?.match(/^Bearer\s+(.+)$/i)
  return match?.[1]?.trim() || undefined
}
