/**
 * `npm run backtest -- [chain] [--blocks N] [--every K]`: replays the strategy over the samples the
 * watcher recorded in the store, and prints its realised yield beside holding still and a hindsight
 * oracle (strategies/backtest.ts).
 */
import { parseArgs } from 'node:util'
import { loadConfig } from '../config/load'
import { ConfigError, describeError } from '../core/errors'
import { idleVenueOf } from '../plans/proposePlan'
import { openStore } from '../store'
import type { Sample } from '../store/types'
import { backtest } from '../strategies/backtest'

async function main() {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { blocks: { type: 'string', default: '600' }, every: { type: 'string', default: '10' } } })
  const blocks = Number(values.blocks)
  const every = Number(values.every)
  if (!Number.isInteger(blocks) || blocks < 2 || blocks > 100_000) throw new ConfigError([`--blocks: expected an integer from 2 to 100000, got "${values.blocks}"`])
  if (!Number.isInteger(every) || every < 1) throw new ConfigError([`--every: expected a positive integer, got "${values.every}"`])
  const config = loadConfig()
  const chains = config.chains.filter((c) => !positionals[0] || c.name === positionals[0])
  if (chains.length === 0) throw new ConfigError([`unknown chain "${positionals[0]}" (known: ${config.chains.map((c) => c.name).join(', ')})`])
  const store = await openStore({ path: config.store.path })
  try {
    for (const chain of chains) {
      const idle = idleVenueOf(config, chain.name)
      if (!idle) continue
      // Other LSTs hold another asset; they are left out, as the strategist does.
      const venues = config.venues.filter((v) => v.chain === chain.name && (v.kind !== 'lst' || v.id === idle))
      const byBlock = new Map<bigint, Sample[]>()
      for (const v of venues) for (const s of await store.samples.recent(v.id, blocks)) (byBlock.get(s.blockNumber) ?? byBlock.set(s.blockNumber, []).get(s.blockNumber)!).push(s)
      const ordered = [...byBlock.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))
      if (ordered.length < 2) {
        console.log(`── ${chain.name}: not enough samples yet`)
        continue
      }
      const first = ordered[0]![0]
      const initial: Record<string, bigint> = {}
      for (const v of venues) initial[v.id] = (await store.positions.latest(v.id, { atBlock: first }))?.amount ?? 0n
      const collateral = config.pool.collateral.find((c) => c.chain === chain.name)!
      const r = backtest({
        steps: ordered.map(([, s]) => s),
        venues: venues.map((v) => ({ id: v.id, chain: v.chain, protocol: v.protocol, kind: v.kind, risk: v.risk, caps: v.caps, assetVenueId: v.kind === 'lst' ? undefined : idle })),
        chains: [{ name: chain.name, decimals: collateral.decimals, idleVenueId: idle }],
        initial,
        policy: config.strategy,
        rebalanceEvery: every,
      })
      const pct = (x: number) => `${(x * 100).toFixed(3)} %`
      console.log(`── ${chain.name}: ${r.steps} blocks from ${first} (${(r.days * 24).toFixed(2)} h), rebalancing every ${every} blocks, ${r.initialValue.toFixed(3)} ${collateral.symbol}`)
      for (const [name, leg] of [['strategy', r.strategy], ['hold still', r.hold], ['hindsight oracle', r.oracle]] as const) {
        console.log(`  ${name.padEnd(17)} yield ${pct(leg.annualisedYield).padStart(10)}/yr   gain ${leg.gain.toFixed(6)}   rebalances ${leg.rebalances}   moved ${leg.moved.toFixed(3)}   costs ${leg.costs.toFixed(6)}`)
      }
      console.log(`  captured ${r.captured === null ? '—' : pct(r.captured)} of the oracle's gain over holding`)
    }
  } finally {
    await store.close()
  }
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : `backtest: ${describeError(err)}`)
  process.exit(1)
})
