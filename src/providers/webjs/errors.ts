/**
 * How the webjs engine words and classifies what whatsapp-web.js, puppeteer and Chromium
 * throw: strings as well as Errors, page errors with a stack after the first line, launch
 * failures with Chromium's own complaint under "stderr:".
 */
import { AppError, UpstreamError } from '../../errors'

export class TimeoutError extends Error {}

export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(message)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** whatsapp-web.js throws strings as well as Errors; page errors carry a stack after the first line. */
export function describeError(error: unknown): string {
  const text = error instanceof Error ? error.message : typeof error === 'string' ? error : JSON.stringify(error)
  const firstLine = (text ?? 'unknown error').split('\n')[0]!.trim()
  return firstLine.length > 300 ? `${firstLine.slice(0, 297)}...` : firstLine
}

/** Errors that mean the browser or its page is gone, as puppeteer words them. */
const BROWSER_GONE = [
  /Target closed/i,
  /Session closed/i,
  /Connection closed/i,
  /Execution context was destroyed/i,
  /detached Frame/i,
  /Navigating frame was detached/i,
  /Browser (has )?disconnected/i,
  /Protocol error.*(closed|destroyed|detached)/i,
  /Page crashed/i,
]

export function isBrowserGoneError(error: unknown): boolean {
  const name = error instanceof Error ? error.name : ''
  if (name === 'TargetCloseError') return true
  const message = error instanceof Error ? error.message : typeof error === 'string' ? error : ''
  return BROWSER_GONE.some((pattern) => pattern.test(message))
}

/** The last error line Chromium printed, which puppeteer puts under "stderr:" in a launch failure. */
function chromiumComplaint(error: unknown): string {
  const text = error instanceof Error ? error.message : ''
  const lines = text.split('\n').flatMap((line) => {
    const match = /:ERROR:[^\]]*\]\s*(.+)$/.exec(line)
    return match?.[1] ? [match[1].trim()] : []
  })
  const last = lines.at(-1)
  return last ? ` (${last.length > 200 ? `${last.slice(0, 197)}...` : last})` : ''
}

/** Why `initialize()` failed, worded for the session's `reason` with the setting that fixes it. */
export function initFailureReason(error: unknown): string {
  const detail = describeError(error)
  if (/Failed to launch|Browser was not found|spawn/i.test(detail)) {
    return `Chromium could not start: ${detail}${chromiumComplaint(error)}. Check CHROME_PATH and CHROME_ARGS`
  }
  if (/net::ERR_|ERR_NAME_NOT_RESOLVED|ERR_CONNECTION/i.test(detail)) {
    return `Could not open https://web.whatsapp.com (${detail}). Check this server's network, DNS and proxy (CHROME_ARGS)`
  }
  return `WhatsApp Web could not start: ${detail}`
}

/** A failed operation as the API reports it: typed errors pass through, the rest is WhatsApp Web's failure. */
export function upstreamErrorOf(what: string, error: unknown): AppError {
  if (error instanceof AppError) return error
  return new UpstreamError(`WhatsApp Web could not ${what}: ${describeError(error)}`)
}
