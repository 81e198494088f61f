/**
 * A JWKS endpoint served by the test itself on 127.0.0.1, with keys generated per test
 * run, and a signer for tokens shaped like WorkOS AuthKit's (`sub`, `org_id`).
 */
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose'

export const ISSUER = 'https://auth.example.test'
export const AUDIENCE = 'whatsapp-web-server'

export interface TestKey {
  alg: 'RS256' | 'ES256'
  kid: string
  privateKey: CryptoKey
  publicKey: CryptoKey
  jwk: JWK
}

export async function makeKey(alg: TestKey['alg'], kid: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }
  return { alg, kid, privateKey, publicKey, jwk }
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000)

export interface SignOptions {
  alg?: string
  /** `null` leaves the header's kid out. */
  kid?: string | null
  iss?: string
  aud?: string
  exp?: number
  nbf?: number
}

/** Signs `claims` with valid defaults (issuer, audience, five-minute expiry). */
export async function signToken(key: TestKey, claims: JWTPayload, options: SignOptions = {}): Promise<string> {
  const header: { alg: string; kid?: string } = { alg: options.alg ?? key.alg }
  if (options.kid !== null) header.kid = options.kid ?? key.kid
  const jwt = new SignJWT(claims)
    .setProtectedHeader(header)
    .setIssuedAt()
    .setIssuer(options.iss ?? ISSUER)
    .setAudience(options.aud ?? AUDIENCE)
    .setExpirationTime(options.exp ?? nowSeconds() + 300)
  if (options.nbf !== undefined) jwt.setNotBefore(options.nbf)
  return jwt.sign(key.privateKey)
}

export interface JwksServer {
  url: string
  /** The keys currently published; replace or push to rotate. */
  keys: TestKey[]
  /** How many times the key set was fetched. */
  fetches: number
  stop(): Promise<void>
}

export function serveJwks(keys: TestKey[]): JwksServer {
  const state: JwksServer = {
    url: '',
    keys,
    fetches: 0,
    async stop() {
      await server.stop(true)
    },
  }
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch(request) {
      if (new URL(request.url).pathname !== '/.well-known/jwks.json') return new Response('not found', { status: 404 })
      state.fetches++
      return Response.json({ keys: state.keys.map((key) => key.jwk) })
    },
  })
  state.url = `http://127.0.0.1:${server.port}/.well-known/jwks.json`
  return state
}

/** Environment for a server that trusts this JWKS (refetch cooldown off, so rotation is immediate). */
export function jwtEnv(jwks: JwksServer): Record<string, string> {
  return { JWT_JWKS_URL: jwks.url, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, JWT_JWKS_COOLDOWN_MS: '0' }
}
