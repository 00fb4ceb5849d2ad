import { afterAll, describe, expect, it } from 'vitest'
import { interruptStart, runStop, START_STOP_CASES, startThenStop, testNetwork } from './startStop'

/**
 * Start and stop are atomic (issue 16, item 7), on a real `npm start` of a network of its own
 * (ports POOLWARDEN_TEST_PORT + 120…133, data in .devnet/startstop-<port>, a private PM2_HOME):
 * `npm stop` 1, 3, 5 and 10 s into the start, while it deploys, Ctrl-C while it starts the apps —
 * each time no process of that network is left, no port listens, the lock is gone — and then a
 * whole start succeeds and its stop leaves nothing. The same functions are rows of `npm run faults`.
 */
const base = Number(process.env.POOLWARDEN_TEST_PORT ?? 18545) + 120
const net = testNetwork(`startstop-${base}`, base)

afterAll(async () => {
  await runStop(net) // whatever a failed case left
  net.remove()
}, 120_000)

describe('npm start / npm stop are atomic (a real network on its own ports)', { timeout: 400_000 }, () => {
  for (const c of START_STOP_CASES) {
    it(c.fault, async () => {
      const r = c.opts ? await interruptStart(net, c.opts) : await startThenStop(net)
      expect(r.passed, `${r.observed}\n${r.output}`).toBe(true)
      expect(r.nothingLost).toBe(true)
    })
  }
})
