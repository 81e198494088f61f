/**
 * The webjs engine factory. This module is the only one that loads whatsapp-web.js (and
 * so puppeteer); its registry entry (./definition.ts) imports it lazily, the first time a webjs session starts,
 * so a server that only runs the simulator never loads either.
 */
import { availableParallelism } from 'node:os'
import type { Browser, Page } from 'puppeteer'
import { Client, LocalAuth, Location, MessageMedia, Poll } from 'whatsapp-web.js'
import type { Logger } from '../../lib/logger'
import type { EngineContext, EngineFactory } from '../engine'
import type { WebjsSettings } from './definition'
import { chromeArgs, resolveChromium } from './chromium'
import type { BrowserHandles, ClientFactory, ClientSetup, WebjsClient, WebjsRuntime } from './client'
import { installRejectionGuard } from './guard'
import { describeError } from './errors'
import { WEBJS_CAPABILITIES, WebjsSession } from './session'

export { WEBJS_CAPABILITIES, WebjsSession } from './session'

export const WEBJS_RUNTIME: WebjsRuntime = { MessageMedia, Location, Poll }

export interface WebjsEngineOptions {
  settings: WebjsSettings
  logger: Logger
  createClient: ClientFactory
  runtime?: WebjsRuntime
}

/** A webjs factory around any Client maker: the real one below, or a test double. */
export function createWebjsEngine(options: WebjsEngineOptions): EngineFactory {
  const runtime = options.runtime ?? WEBJS_RUNTIME
  return {
    engine: 'webjs',
    capabilities: WEBJS_CAPABILITIES,
    // A Chromium launch and WhatsApp Web's first load keep about one core busy for seconds: one per core at once.
    maxConcurrentStarts: Math.max(1, availableParallelism()),
    create: (context: EngineContext) => new WebjsSession(context, { createClient: options.createClient, runtime, settings: options.settings, logger: options.logger }),
  }
}

function browserHandles(browser: Browser, page: Page): BrowserHandles {
  return {
    pid: browser.process()?.pid,
    onGone(listener) {
      let gone = false
      const fire = (reason: string) => {
        if (gone) return
        gone = true
        listener(reason)
      }
      browser.once('disconnected', () => fire('Chromium exited or closed its DevTools connection'))
      page.once('error', (error: Error) => fire(`the WhatsApp Web page crashed (${describeError(error)})`))
      page.once('close', () => fire('the WhatsApp Web page was closed'))
    },
    async evaluate() {
      await page.evaluate('1')
    },
  }
}

/** whatsapp-web.js's own Client: LocalAuth per number, system Chromium, no web-version cache. */
export function realClientFactory(executablePath: string, args: string[]): ClientFactory {
  return (setup: ClientSetup): WebjsClient => {
    const auth = new LocalAuth({ clientId: setup.phoneNumber, dataPath: setup.dataPath })
    const client = new Client({
      authStrategy: auth,
      // The default 'local' cache writes ./.wwebjs_cache into the working directory.
      webVersionCache: { type: 'none' },
      qrMaxRetries: setup.qrMaxRetries,
      puppeteer: {
        executablePath,
        headless: true,
        args,
        // Aborting kills this Chromium's process group, even mid-launch.
        signal: setup.signal,
        // The server shuts sessions down itself; puppeteer's SIGINT hook would exit the process first.
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
      },
    })
    // LocalAuth's hook runs right after whatsapp-web.js set pupBrowser/pupPage, before the page loads.
    const afterBrowserInitialized = auth.afterBrowserInitialized.bind(auth)
    auth.afterBrowserInitialized = async () => {
      await afterBrowserInitialized()
      if (client.pupBrowser && client.pupPage) setup.onBrowser(browserHandles(client.pupBrowser, client.pupPage))
    }
    return client
  }
}

/** The engine as the server runs it: Chromium from CHROME_PATH or the usual places, CHROME_ARGS passed through. */
export async function createWebjsFactory(settings: WebjsSettings, logger: Logger): Promise<EngineFactory> {
  const executablePath = resolveChromium(settings.chrome.path)
  installRejectionGuard(logger)
  logger.info({ chromium: executablePath, lean: settings.chrome.lean, extraArgs: settings.chrome.args }, 'webjs engine loaded')
  return createWebjsEngine({
    settings,
    logger,
    createClient: realClientFactory(executablePath, chromeArgs(settings.chrome.args, settings.chrome.lean)),
  })
}
