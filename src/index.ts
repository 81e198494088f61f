/**
 * Boot: configuration → dependencies → app.listen, then bring back the sessions that
 * were running, and shut down gracefully on SIGTERM/SIGINT.
 */
import QRCode from 'qrcode'
import { createApp, API_BASE, serverOptions } from './app'
import { ConfigError, readConfig } from './config'
import { createDeps } from './deps'
import { StorageError } from './storage/db'

async function main(): Promise<void> {
  let config
  try {
    config = readConfig()
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message)
      process.exit(1)
    }
    throw error
  }

  let deps
  try {
    deps = await createDeps(config, {
      onQr: config.printQr
        ? (phoneNumber, value) => {
            void QRCode.toString(value, { type: 'terminal', small: true }).then((art) =>
              process.stdout.write(`\nScan with WhatsApp on ${phoneNumber} (Linked devices → Link a device):\n${art}\n`),
            )
          }
        : undefined,
    })
  } catch (error) {
    // Problems the operator fixes (a bad setting, a database that cannot be used): the message, not a stack.
    if (error instanceof ConfigError || error instanceof StorageError) {
      console.error(error.message)
      process.exit(1)
    }
    throw error
  }
  const app = createApp(deps).listen(serverOptions(config))
  const base = `http://${config.host}:${app.server?.port}${API_BASE}`
  deps.logger.info({ url: base, docs: `${base}/swagger`, engine: config.defaultEngine }, 'WhatsApp Web Server listening')
  if (deps.generatedAdminKey) {
    process.stdout.write(
      `\nNo API_KEY or JWT configured: generated an admin API key. It is shown only now; only its hash is kept.\n\n  ${deps.generatedAdminKey}\n\nSend it as "X-Api-Key: <key>". Docs: ${base}/swagger\n\n`,
    )
  }
  // Say now, not at the first start, when the default engine cannot run here (webjs without Chromium).
  void deps.registry.get(config.defaultEngine).catch((error: unknown) => {
    const reason = error instanceof Error ? error.message : String(error)
    process.stdout.write(
      `\nThe default engine (${config.defaultEngine}) cannot run on this machine: ${reason}.\n` +
        `Starting a ${config.defaultEngine} session answers 503 ENGINE_UNAVAILABLE until that is fixed. ` +
        `To try the API without it: WA_ENGINE=simulator, or start a session with {"engine":"simulator"}.\n\n`,
    )
  })
  void deps.sessions.restoreAll()

  let stopping = false
  const shutdown = async (signal: string) => {
    if (stopping) return
    stopping = true
    deps.logger.info({ signal }, 'shutting down')
    const force = setTimeout(() => process.exit(1), 15_000)
    // An open event stream never finishes by itself and would hold the graceful stop: end them
    // first (clients reconnect elsewhere or later with Last-Event-ID and miss nothing).
    deps.events.sse.close()
    await app.stop()
    await deps.close()
    clearTimeout(force)
    process.exit(0)
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))
}

await main()
