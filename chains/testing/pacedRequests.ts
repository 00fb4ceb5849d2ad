/**
 * Test child process (chains/pacing.local.test.ts): one "agent" sending `n` eth_blockNumber
 * successful requests through a real chain client to `url`, paced through the shared file
 * `pacing` (or on its own when `pacing` is "-"); a failed request is retried 50 ms later (at most
 * 400 attempts). Prints one JSON line per attempt: { i, ok, error? }, and one per slot taken: { slot }.
 *   node --import tsx chains/testing/pacedRequests.ts <url> <pacing|-> <n> <maxPerSecond>
 */
import { chain as chainSchema } from '../../config/schema'
import { openRateLimits } from '../../store/rateLimits'
import { createChainClient } from '../createChainClient'

const [url, pacingPath, n, perSecond] = process.argv.slice(2)
const opened = pacingPath && pacingPath !== '-' ? await openRateLimits({ path: pacingPath }) : undefined
// Every slot this process was given, printed for the test: { slot } lines.
const pacing = opened && {
  ...opened,
  reserve: async (...args: Parameters<typeof opened.reserve>) => {
    const r = await opened.reserve(...args)
    console.log(JSON.stringify({ slot: r.slot }))
    return r
  },
}
const chain = chainSchema.parse({ name: 'paced', chainId: 31337, blockTimeMs: 1000, rpc: [{ url, maxPerSecond: Number(perSecond), maxConcurrent: 1 }] })
const c = createChainClient({ chain, ...(pacing ? { pacing } : {}), minBackoffMs: 1, maxBackoffMs: 1, failuresToAlert: 1000 })
for (let i = 0, ok = 0; ok < Number(n) && i < 400; i++) {
  try {
    await c.client.getBlockNumber({ cacheTime: 0 })
    ok++
    console.log(JSON.stringify({ i, ok: true }))
  } catch (err) {
    console.log(JSON.stringify({ i, ok: false, error: (err as Error).name }))
    await new Promise((r) => setTimeout(r, 50))
  }
}
await opened?.close()
