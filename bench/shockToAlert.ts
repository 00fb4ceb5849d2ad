import { createChainClient } from '../chains/createChainClient'
import { configSchema, type ConfigInput } from '../config/schema'
import { createLogger } from '../core/logger'
import { PER_BLOCK_WATCH } from '../devnet/deploy'
import type { LocalDevnet } from '../devnet/local'
import { shockWindows } from '../devnet/market'
import { loadScenario } from '../devnet/scenario'
import { createSimulator } from '../devnet/simulator'
import { openTempStore } from '../store/testing'
import { createWatcher } from '../watch/createWatcher'

export interface ShockAlertFigure {
  shock: string
  /** Alert block − shock block (0: the alert is for the shock's own block). */
  blocks: number
  /** Wall time from the shock's block being mined to the alert row committed. */
  ms: number
  alert: string
}

/** Runs the stress scenario through the watchers and measures each shock's alert latency. */
export async function benchShockToAlert(devnet: LocalDevnet): Promise<ShockAlertFigure[]> {
  const input = structuredClone(devnet.config) as ConfigInput
  input.watch = { ...input.watch, ...PER_BLOCK_WATCH }
  const config = configSchema.parse(input)
  const logger = createLogger({ bench: 'shock' }, 'silent')
  const { store, cleanup } = await openTempStore()
  try {
    const watchers = new Map(config.chains.map((c) => [c.name, createWatcher({ common: { config, logger }, store, chain: createChainClient({ chain: c }) })]))
    for (const w of watchers.values()) await w.tick()
    const scenario = await loadScenario('stress')
    const sim = createSimulator({ deployment: devnet.deployment, scenario })
    const windows = shockWindows(scenario)
    const chainOf = (venue: string) => Object.values(devnet.deployment.chains).find((c) => c.venues.some((v) => v.id === venue))!.name
    const figures: ShockAlertFigure[] = []
    const pending = new Map(windows.map((w) => [w.start, w]))
    const last = Math.max(...windows.map((w) => w.start)) + 2
    let open: { w: (typeof windows)[number]; block: bigint; minedAt: number; chain: string } | undefined
    for (let i = 0; i <= last; i++) {
      const steps = await sim.step(i)
      const minedAt = performance.now()
      const w = pending.get(i)
      if (w) {
        const chain = chainOf(w.venue)
        open = { w, chain, minedAt, block: steps.find((s) => s.chain === chain)!.blockNumber }
      }
      for (const [name, watcher] of watchers) {
        const r = await watcher.tick()
        if (open && name === open.chain && r.status === 'processed' && r.alerts > 0) {
          const row = (await store.alerts.recent(1))[0]!
          figures.push({ shock: `${open.w.kind}@${open.w.venue}`, blocks: Number(r.block - open.block), ms: Math.round(performance.now() - open.minedAt), alert: row.dedupKey })
          open = undefined
        }
      }
    }
    return figures
  } finally {
    await cleanup()
  }
}
