import pino, { type Logger } from 'pino'

export type { Logger }

/** One structured logger for the process; children carry the session or component. */
export function createLogger(level: string): Logger {
  return pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime })
}

/** A logger that writes nothing, for tests and library code used without a server. */
export const silentLogger: Logger = pino({ level: 'silent' })
