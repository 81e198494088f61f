/**
 * The process-wide guard the webjs engine needs (see installRejectionGuard). Kept apart
 * from ./index.ts so it can be used and tested without loading whatsapp-web.js.
 */
import type { Logger } from '../../lib/logger'
import { describeError, isBrowserGoneError } from './errors'

let guardInstalled = false

/**
 * whatsapp-web.js runs some page work from event listeners nobody awaits (it re-injects
 * after every navigation, e.g. after LOGOUT). When the browser closes meanwhile, that
 * work rejects with "Target closed" / "Execution context was destroyed" — which would
 * take the whole server down. Those, and only those, are logged and dropped.
 */
export function installRejectionGuard(logger: Logger): void {
  if (guardInstalled) return
  guardInstalled = true
  process.on('unhandledRejection', (reason) => {
    if (isBrowserGoneError(reason)) {
      logger.debug({ err: describeError(reason) }, 'ignored a rejection from a closed browser page')
      return
    }
    throw reason
  })
}
