/** Send pacing with a fake clock: no test waits on the wall clock. */
import { describe, expect, test } from 'bun:test'
import { SendPacer, type PacerClock, type TypingIndicator } from '../../src/messaging/pacer'

function fakeClock(randoms: number[] = [0.5]) {
  let now = 1_000_000
  const sleeps: number[] = []
  const log: string[] = []
  let index = 0
  const clock: PacerClock = {
    now: () => now,
    async sleep(ms) {
      sleeps.push(ms)
      log.push(`sleep ${ms}`)
      now += ms
      await Promise.resolve()
    },
    random: () => randoms[index++ % randoms.length]!,
  }
  return { clock, sleeps, log, advance: (ms: number) => (now += ms) }
}

describe('SendPacer', () => {
  test('sends of one number run one at a time, in order', async () => {
    const { clock, log } = fakeClock()
    const pacer = new SendPacer({ minDelayMs: 100, maxDelayMs: 100, typing: false }, clock)
    const gates = [Promise.withResolvers<void>(), Promise.withResolvers<void>()]
    const first = pacer.run('1', async () => {
      log.push('first starts')
      await gates[0]!.promise
      log.push('first ends')
    })
    const second = pacer.run('1', async () => {
      log.push('second runs')
    })
    await Bun.sleep(1)
    expect(log).toEqual(['first starts'])
    gates[0]!.resolve()
    await Promise.all([first, second])
    expect(log).toEqual(['first starts', 'first ends', 'sleep 100', 'second runs'])
  })

  test('the delay is a random gap between min and max since the previous send; a lone send is not held back', async () => {
    const { clock, sleeps, advance } = fakeClock([0, 1, 0.25])
    const pacer = new SendPacer({ minDelayMs: 200, maxDelayMs: 600, typing: false }, clock)
    await pacer.run('1', async () => undefined) // random 0 → 200, but nothing before it
    expect(sleeps).toEqual([])
    await pacer.run('1', async () => undefined) // random 1 → 600 since the previous send
    expect(sleeps).toEqual([600])
    advance(250)
    await pacer.run('1', async () => undefined) // random 0.25 → 300, 250 already passed
    expect(sleeps).toEqual([600, 50])
  })

  test('numbers do not wait for each other', async () => {
    const { clock, sleeps } = fakeClock()
    const pacer = new SendPacer({ minDelayMs: 500, maxDelayMs: 500, typing: false }, clock)
    await pacer.run('1', async () => undefined)
    await pacer.run('2', async () => undefined)
    expect(sleeps).toEqual([])
  })

  test('with typing on, each send shows the indicator for the delay, then clears it', async () => {
    const { clock, log } = fakeClock()
    const pacer = new SendPacer({ minDelayMs: 1000, maxDelayMs: 3000, typing: true }, clock)
    const typing: TypingIndicator = { state: 'recording', set: async (state) => void log.push(`presence ${state}`) }
    await pacer.run('1', async () => void log.push('send'), typing)
    expect(log).toEqual(['presence recording', 'sleep 2000', 'send', 'presence paused'])
  })

  test('a failing indicator does not stop the send; a failing send frees the queue', async () => {
    const { clock } = fakeClock()
    const pacer = new SendPacer({ minDelayMs: 10, maxDelayMs: 10, typing: true }, clock)
    const broken: TypingIndicator = { state: 'typing', set: async () => Promise.reject(new Error('no presence')) }
    expect(await pacer.run('1', async () => 'sent', broken)).toBe('sent')
    await expect(pacer.run('1', async () => Promise.reject(new Error('engine down')))).rejects.toThrow('engine down')
    expect(await pacer.run('1', async () => 'next')).toBe('next')
  })

  test('off (max 0): no delay at all', async () => {
    const { clock, sleeps } = fakeClock()
    const pacer = new SendPacer({ minDelayMs: 0, maxDelayMs: 0, typing: true }, clock)
    expect(pacer.enabled).toBe(false)
    const typing: TypingIndicator = { state: 'typing', set: async () => { throw new Error('must not be called') } }
    await pacer.run('1', async () => undefined, typing)
    await pacer.run('1', async () => undefined, typing)
    expect(sleeps).toEqual([])
  })
})
