import { afterAll } from 'bun:test'
import { removeTempDirs, stopSharedPostgres } from './helpers/app'
import { chromiumSkipNotice } from './helpers/chromium'

// Whatever a test leaves behind (a failed assertion before its cleanup) goes when the run ends.
afterAll(async () => {
  await stopSharedPostgres()
  removeTempDirs()
  // Once per run, not once per skipped test: what was skipped and how to run it.
  const notice = chromiumSkipNotice()
  if (notice) process.stderr.write(notice)
})
