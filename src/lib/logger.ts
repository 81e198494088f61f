import pino, { type DestinationStream, type Logger } from 'pino'
import pretty from 'pino-pretty'

export type { Logger }

/** `auto` decides by the terminal: people read pretty lines, log collectors read JSON. */
export type LogFormat = 'auto' | 'json' | 'pretty'

/** What `auto` means for this process: pretty only when stdout is a terminal. */
export function resolveLogFormat(format: LogFormat, stdoutIsTTY: boolean): 'json' | 'pretty' {
  if (format !== 'auto') return format
  return stdoutIsTTY ? 'pretty' : 'json'
}

export interface LoggerOptions {
  format?: LogFormat
  /** Whether stdout is a terminal; default `process.stdout.isTTY` (tests inject it). */
  isTTY?: boolean
  /** Where lines go; default stdout. */
  destination?: DestinationStream | NodeJS.WritableStream
}

/** One structured logger for the process; children carry the session or component. */
export function createLogger(level: string, options: LoggerOptions = {}): Logger {
  const isTTY = options.isTTY ?? process.stdout.isTTY === true
  const settings = { level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }
  if (resolveLogFormat(options.format ?? 'auto', isTTY) === 'pretty') {
    // In-process (not a worker transport): lines appear in order with the boot banner, also under Bun.
    return pino(
      settings,
      pretty({
        colorize: isTTY,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname',
        ...(options.destination && { destination: options.destination }),
      }),
    )
  }
  return options.destination ? pino(settings, options.destination as DestinationStream) : pino(settings)
}

/** A logger that writes nothing, for tests and library code used without a server. */
export const silentLogger: Logger = pino({ level: 'silent' })
