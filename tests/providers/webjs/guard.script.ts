/** Run by guard.test.ts in its own process: unhandled rejections with the guard installed, server-style (timers, no top-level await). */
import { silentLogger } from '../../../src/lib/logger'
import { installRejectionGuard } from '../../../src/providers/webjs/guard'

installRejectionGuard(silentLogger)
setTimeout(() => {
  // What whatsapp-web.js's unawaited re-injection throws when the browser closes under it.
  void Promise.reject(Object.assign(new Error('Protocol error (Runtime.callFunctionOn): Target closed'), { name: 'TargetCloseError' }))
  void Promise.reject(new Error('Execution context was destroyed, most likely because of a navigation.'))
  void Promise.reject(new Error('Attempted to use detached Frame 4A1B.'))
}, 0)
setTimeout(() => {
  console.log('survived')
  if (process.argv[2] !== 'unrelated') return
  void Promise.reject(new Error('a real bug elsewhere'))
  setTimeout(() => console.log('still running'), 200)
}, 50)
