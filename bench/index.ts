/**
 * `npm run bench`: prints each figure beside its baseline and target. Starts its own chains
 * (ports from 28545) for the watcher figures; the memory figure runs the real network
 * (`npm start`, default ports) unless it is already running.
 */
import { startLocalDevnet } from '../devnet/local'
import { benchMemory } from './memory'
import { benchRpcRequests } from './rpcRequests'
import { benchShockToAlert } from './shockToAlert'
import { benchShockToPlan } from './shockToPlan'
import { benchAllocation, formatAllocationBench } from './allocation'
import { signatureBenchSection } from './signatures'
import { benchCrossChain } from './crossChain'
import { benchBacktest } from './backtest'
import { benchHistory, formatHistoryBench } from './history'
import { quietOnClosedPipe } from '../scripts/lib/cli'
import { benchOverMonth, benchWeb } from './web'
import { createTestClient, http } from 'viem'
import type { LocalDevnet } from '../devnet/local'

/**
 * Runs one section on the freshly deployed devnet: evm_snapshot on every chain before, evm_revert
 * after. Sections share one devnet, and each assumes the deployment's state (the simulator's
 * controller starts at index 0, the pool's positions as funded): without this, the shock-to-plan
 * section started where the shock-to-alert section had left the controller and failed with
 * "index 0 already applied".
 */
async function isolated<T>(devnet: LocalDevnet, section: () => Promise<T>): Promise<T> {
  const clients = devnet.config.chains.map((c) => createTestClient({ mode: 'anvil', transport: http(c.rpc[0]!.url) }))
  const ids = await Promise.all(clients.map((c) => c.snapshot()))
  try {
    return await section()
  } finally {
    await Promise.all(clients.map((c, i) => c.revert({ id: ids[i]! })))
  }
}
import { benchCustodyGas } from './custody'
import { benchSignToMined } from './custodySignToMined'
import { benchSoak } from './soak'
import { benchTxServiceRounds, txServiceRoundLines } from './txServiceRounds'
import { benchAnvilFloor } from './anvilFloor'
import { benchRewards } from './rewards'
import { benchGovernorCpu } from './governorCpu'
import { benchGovernorRound } from './governorRound'

const argv = process.argv.slice(2)
const minutesAt = argv.indexOf('--minutes')
const roundsAt = argv.indexOf('--rounds')
/** The sections asked for: every word that is neither an option nor an option's value. */
const only = argv.filter((a, i) => !a.startsWith('--') && (minutesAt < 0 || i !== minutesAt + 1) && (roundsAt < 0 || i !== roundsAt + 1))
const want = (name: string) => only.length === 0 || only.includes(name)

async function main() {
  if (want('allocation')) {
    console.log('\n## Allocation (200 venues × 10 chains; targets: under 100 ms, within 0.1 % of the optimum)')
    for (const line of formatAllocationBench(benchAllocation())) console.log(line)
  }
  if (want('rewards')) for (const line of await benchRewards()) console.log(line)
  if (want('signatures')) for (const line of await signatureBenchSection()) console.log(line)
  if (want('backtest')) for (const line of await benchBacktest()) console.log(line)
  if (want('history')) {
    // The dashboard's 30-day pages and a /metrics scrape, timed over the compacted synthetic month.
    const month: string[] = []
    const r = await benchHistory({ onStore: async (m) => void month.push(...(await benchOverMonth(m))) })
    for (const line of [...formatHistoryBench(r), ...month]) console.log(line)
  }
  if (want('web')) for (const line of await benchWeb()) console.log(line)
  if (want('rpc') || want('alert') || want('plan')) {
    const devnet = await startLocalDevnet({ basePort: Number(process.env.POOLWARDEN_BENCH_PORT ?? 28545), custody: 'eoa' })
    try {
      if (want('rpc')) {
        const r = await isolated(devnet, () => benchRpcRequests(devnet, { venues: 50, blocks: 20 }))
        console.log(`\n## RPC requests per watch tick (${r.venues} venues on ${r.chains} chains, ${r.blocks} blocks, counted at the HTTP transport)`)
        console.log(`poolwarden watcher : ${r.perTick.toFixed(2)} requests/tick = ${r.perChainPerBlock.toFixed(2)} per chain per block   (target: 1 per chain per block)`)
        console.log(`naive, one eth_call per read : ${r.naivePerTick} requests/tick`)
        console.log(`naive, one request per venue : ${r.perVenuePerTick} requests/tick`)
        console.log(`reduction vs naive reads      : ${(r.naivePerTick / r.perTick).toFixed(0)}×`)
      }
      if (want('alert')) {
        const figures = await isolated(devnet, () => benchShockToAlert(devnet))
        console.log('\n## Blocks from a shock to its alert (stress scenario; target: critical shocks in their own block, warnings once they persisted: alerts.persistence, 3 blocks by default)')
        for (const f of figures) console.log(`${f.shock.padEnd(34)} ${String(f.blocks).padStart(2)} block(s)  ${String(f.ms).padStart(5)} ms after the shock block was mined   ${f.alert}`)
      }
      if (want('plan')) {
        console.log('\n## Blocks from a yield shock to the plan and to its first tx (targets: plan within 1 block, first tx mined within 3)')
        for (const f of await isolated(devnet, () => benchShockToPlan(devnet))) {
          console.log(`${f.shock}: shock at block ${f.shockBlock}; plan from samples of block +${f.toPlan ?? 'none'}; first rebalance tx mined at block +${f.toFirstTx ?? 'none'}`)
        }
      }
    } finally {
      await devnet.stop()
    }
  }
  if (want('bridge')) {
    const devnet = await startLocalDevnet({ basePort: Number(process.env.POOLWARDEN_BENCH_PORT ?? 28545) + 10, guardian: { pollMs: 100 }, custody: 'eoa' })
    try {
      const f = await benchCrossChain(devnet, { blockMs: 1000 })
      console.log(`\n## One cross-chain rebalance end to end (${f.from} → ${f.to}: bridge, redeem, deposit; 1 block/${f.blockMs} ms; target: finality ${f.finality} + 3 = ${f.finality + 3} source blocks)`)
      console.log(`source tx → VAA verified : ${f.blocksToVaa} source blocks`)
      console.log(`source tx → funds landed : ${f.blocks} source blocks, ${f.msToLanded} ms from the plan's start   (target ≤ ${f.finality + 3} blocks)`)
      console.log(`whole plan (with deposit): ${f.msTotal} ms`)
    } finally {
      await devnet.stop()
    }
  }
  if (want('custody')) {
    const devnet = await startLocalDevnet({ basePort: Number(process.env.POOLWARDEN_BENCH_PORT ?? 28545) + 20, custody: 'safe' })
    try {
      const rows = await benchCustodyGas(devnet)
      console.log('\n## Gas of a rebalance step through the Roles modifier (executor → Roles → Safe → venue) vs. the same calls from an EOA')
      for (const r of rows) console.log(`${r.label.padEnd(8)} role ${String(r.role).padStart(7)}   eoa ${String(r.eoa).padStart(7)}   overhead ${String(r.role - r.eoa).padStart(6)} (+${((Number(r.role - r.eoa) / Number(r.eoa)) * 100).toFixed(0)} %)`)
      const role = rows.reduce((a, r) => a + r.role, 0n)
      const eoa = rows.reduce((a, r) => a + r.eoa, 0n)
      console.log(`${'step'.padEnd(8)} role ${String(role).padStart(7)}   eoa ${String(eoa).padStart(7)}   overhead ${String(role - eoa).padStart(6)} (+${((Number(role - eoa) / Number(eoa)) * 100).toFixed(0)} %)`)
      console.log('\n## From the last committee signature to the Safe transaction mined (2 of 3 through the local Safe Transaction Service; 1 block/s interval mining; target: the next block)')
      for (const r of await benchSignToMined(devnet)) console.log(`run ${r.run}: last signature at block ${r.signedAt}; execTransaction mined ${r.blocks} block(s) later, ${r.ms} ms after the signature (executor round started at once)`)
    } finally {
      await devnet.stop()
    }
  }
  // The soak runs only when asked for (an hour by default): `npm run bench -- soak [--minutes N]`.
  if (only.includes('soak')) {
    const minutes = minutesAt >= 0 ? Number(argv[minutesAt + 1]) : 60
    if (!Number.isInteger(minutes) || minutes < 1) throw new Error(`--minutes: expected a whole number of minutes ≥ 1, got "${argv[minutesAt + 1]}"`)
    await benchSoak({ minutes })
  }
  // anvil's own per-block growth, only when asked for (3 minutes by default): `npm run bench -- anvil-floor [--minutes N]`.
  if (only.includes('anvil-floor')) {
    const minutes = minutesAt >= 0 ? Number(argv[minutesAt + 1]) : 3
    if (!(minutes >= 1)) throw new Error(`--minutes: expected a number of minutes ≥ 1, got "${argv[minutesAt + 1]}"`)
    for (const line of await benchAnvilFloor(minutes)) console.log(line)
  }
  // The Safe tx service over committee plans, only when asked for (40 rounds by default, some minutes):
  // `npm run bench -- tx-service [--rounds N]`.
  if (only.includes('tx-service')) {
    const rounds = roundsAt >= 0 ? Number(argv[roundsAt + 1]) : 40
    if (!Number.isInteger(rounds) || rounds < 2) throw new Error(`--rounds: expected a whole number of rounds ≥ 2, got "${argv[roundsAt + 1]}"`)
    console.log(`\n## The devnet's Safe Transaction Service over ${rounds} committee plans (propose, 2 confirmations, execute, 20 reads each; the bundle and flags npm start runs; target: RSS after round 1 grows ≤ 10 %)`)
    for (const line of txServiceRoundLines(await benchTxServiceRounds({ rounds, basePort: Number(process.env.POOLWARDEN_BENCH_PORT ?? 28545) + 50 }))) console.log(line)
  }
  // The governor's harness runs only when asked for (its own devnet, minutes of CPU sampling, then a
  // 100,000-signal round): `npm run bench -- governor`.
  if (only.includes('governor')) {
    const port = Number(process.env.POOLWARDEN_BENCH_PORT ?? 28545)
    const cpu = await benchGovernorCpu({ basePort: port + 30, windows: [[0, 60], [60, 120]] })
    console.log('\n## The governor on the calm devnet (its own chains, hub and delegators; the agent bundled as npm start runs it; target: steady state under 3 % of a core)')
    for (const w of cpu.windows) console.log(`CPU ${String(w.fromS).padStart(3)}–${String(w.toS).padEnd(3)} s : ${(w.cpu * 100).toFixed(1)} % of a core${w.fromS > 0 ? '   (target < 3 %)' : '   (start: first rounds read and verify everything)'}`)
    console.log(`resident memory   : ${cpu.rssMb.toFixed(1)} MB at ${cpu.windows.at(-1)!.toS} s (peak ${cpu.peakRssMb.toFixed(1)} MB)`)
    const r = await benchGovernorRound({ basePort: port + 40 })
    console.log(`\n## One governor round, ${r.signals.toLocaleString('en')} signals already collected and verified, nothing new (target: under 1 s)`)
    console.log(`first round (collect, verify, weigh on 3 chains, tally, store the receipt): ${r.firstRoundS.toFixed(2)} s, tally ${r.status}`)
    console.log(`rounds with nothing new: ${r.idleRoundsS.map((x) => `${x.toFixed(3)} s`).join(', ')}   (target < 1 s)`)
    console.log(`restarted governor's first round: ${r.restart.roundS.toFixed(3)} s, ${r.restart.verified} signatures verified, ${r.restart.restored.toLocaleString('en')} signals from the stored receipt`)
  }
  if (want('memory')) {
    const { figures, startedByBench } = await benchMemory()
    const total = figures.reduce((a, f) => a + f.rssMb, 0)
    const agents = figures.filter((f) => f.name.startsWith('watcher-') || f.name === 'simulator')
    console.log(`\n## Resident memory of the network (${startedByBench ? 'started by the bench with npm start' : 'the running network'}; target: under 600 MB in all)`)
    for (const f of figures) console.log(`${f.name.padEnd(20)} ${f.rssMb.toFixed(1).padStart(7)} MB`)
    console.log(`${'agents (node)'.padEnd(20)} ${agents.reduce((a, f) => a + f.rssMb, 0).toFixed(1).padStart(7)} MB`)
    console.log(`${'whole network'.padEnd(20)} ${total.toFixed(1).padStart(7)} MB   (target < 600 MB)`)
  }
}

quietOnClosedPipe()
main().then(
  () => process.exit(0),
  (err) => {
    console.error(err)
    process.exit(1)
  },
)
