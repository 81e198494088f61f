/**
 * Reads settings out of an environment given to it (src/config.ts hands it the process's;
 * nothing else reads the environment). It collects every problem instead of stopping at the
 * first, so one boot shows them all; engines read their own settings section through it.
 */
export type Env = Record<string, string | undefined>

/** Collects every problem instead of stopping at the first, so one boot shows them all. */
export class EnvReader {
  readonly problems: string[] = []
  constructor(private readonly env: Env) {}

  string(name: string): string | undefined {
    const value = this.env[name]?.trim()
    return value === undefined || value === '' ? undefined : value
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.string(name)
    if (raw === undefined) return fallback
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      this.problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`)
      return fallback
    }
    return Number(raw)
  }

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.string(name)?.toLowerCase()
    if (raw === undefined) return fallback
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true
    if (['0', 'false', 'no', 'off'].includes(raw)) return false
    this.problems.push(`${name} must be true or false (got "${raw}")`)
    return fallback
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.string(name)
    if (raw === undefined) return fallback
    if ((allowed as readonly string[]).includes(raw)) return raw as T
    this.problems.push(`${name} must be one of ${allowed.join(', ')} (got "${raw}")`)
    return fallback
  }

  list(name: string): string[] {
    return (this.string(name) ?? '').split(',').map((item) => item.trim()).filter(Boolean)
  }

  url(name: string, protocols: string[]): string | undefined {
    const raw = this.string(name)
    if (raw === undefined) return undefined
    try {
      const parsed = new URL(raw)
      if (protocols.includes(parsed.protocol)) return raw
    } catch {
      // reported below
    }
    this.problems.push(`${name} must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')} (got "${raw}")`)
    return undefined
  }
}

/**
 * Splits CHROME_ARGS like a shell would for the cases that matter: flags separated by
 * spaces, and a value in double or single quotes may itself hold spaces
 * (`--host-resolver-rules="MAP web.whatsapp.com 127.0.0.1:8443"`).
 */
export function splitArgs(raw: string): string[] {
  const args: string[] = []
  let current = ''
  let quote: '"' | "'" | null = null
  let started = false
  for (const char of raw) {
    if (quote) {
      if (char === quote) quote = null
      else current += char
    } else if (char === '"' || char === "'") {
      quote = char
      started = true
    } else if (/\s/.test(char)) {
      if (started) args.push(current)
      current = ''
      started = false
    } else {
      current += char
      started = true
    }
  }
  if (quote) throw new Error(`unbalanced ${quote} quote`)
  if (started) args.push(current)
  return args
}
