import { afterAll } from 'bun:test'
import { removeTempDirs, stopSharedPostgres } from './helpers/app'

// Whatever a test leaves behind (a failed assertion before its cleanup) goes when the run ends.
afterAll(async () => {
  await stopSharedPostgres()
  removeTempDirs()
})
