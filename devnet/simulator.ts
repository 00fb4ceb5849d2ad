import {
  createPublicClient,
  createWalletClient,
  http,
  type Account,
  type Address,
  type Chain,
  type Hash,
  type PublicClient,
  type Transport,
  type WalletClient,
} from 'viem'
import type { Logger } from '../core/logger'
import { describeError } from '../core/errors'
import { sleep } from '../core/shutdown'
import { devAccount, ROLES } from './accounts'
import { simControllerAbi } from './abis'
import type { ChainDeployment, Deployment } from './deploy'
import { devnetChain, simVenues } from './deploymentFile'
import { bpsInt, bpsToRay, bpsToWad, checkScenario, slashBpsBetween, venueParamsAt, type Scenario } from './market'

/**
 * The market simulator: turns the scenario's parameters at a block index into ONE
 * SimController.update transaction per chain.
 *
 * - `step(index)` (tests, automine): sends index `index` on every chain and awaits the receipts.
 * - `run(signal)` (PM2, interval mining): on every new head N of a chain, sends the update for the
 *   next block's index so it lands in block N+1. Index of block N = N − originBlock + startBlock,
 *   so the scenario clock is the chain's block clock and a restarted simulator resumes in place.
 *
 * The controller refuses an index below its `nextIndex`, and slashes are applied for the whole
 * range [nextIndex, index]: skipped blocks lose no slash, repeated ones apply none twice.
 */

export interface SimulatorChainInput {
  name: string
  /** RPC URL (default: the deployment's). */
  url?: string
  publicClient?: PublicClient
  /** Must be the controller's operator or owner; default anvil #9 (the operator) over `url`. */
  walletClient?: WalletClient<Transport, Chain, Account>
}

export interface SimulatorOptions {
  deployment: Deployment
  scenario: Scenario
  /** Chains to drive (default: every chain of the deployment). */
  chains?: SimulatorChainInput[]
  /** Scenario index at each chain's originBlock (run mode; default 0): start a run part-way in. */
  startBlock?: number
  logger?: Logger
  /** Head polling interval of run() (default 100 ms). */
  pollMs?: number
}

export interface StepResult {
  chain: string
  index: number
  /** Block the update landed in. */
  blockNumber: bigint
  txHash: Hash
  gasUsed: bigint
  /** Shocks active at this index, as "kind@venue". */
  shocks: string[]
}

export interface Simulator {
  readonly scenario: Scenario
  /** Sends the updates of `index` on every chain (in parallel) and awaits their receipts. */
  step(index: number): Promise<StepResult[]>
  /** step(from), step(from+1), … step(to) inclusive. */
  stepRange(from: number, to: number): Promise<StepResult[][]>
  /** Drives every chain block by block until `signal` aborts. */
  run(signal: AbortSignal): Promise<void>
  /** The controller's next acceptable index per chain. */
  nextIndex(chain: string): Promise<number>
}

interface ChainDriver {
  dep: ChainDeployment
  public: PublicClient
  wallet: WalletClient<Transport, Chain, Account>
}

export class SimulatorError extends Error {
  override name = 'SimulatorError'
}

export function createSimulator(opts: SimulatorOptions): Simulator {
  const { deployment, scenario } = opts
  const problems = checkScenario(scenario, simVenues(deployment))
  if (problems.length > 0) throw new SimulatorError(problems.join('\n'))
  const startBlock = opts.startBlock ?? 0
  const pollMs = opts.pollMs ?? 100
  const log = opts.logger

  const inputs: SimulatorChainInput[] = opts.chains ?? Object.keys(deployment.chains).map((name) => ({ name }))
  const drivers: ChainDriver[] = inputs.map((c) => {
    const dep = deployment.chains[c.name]
    if (!dep) throw new SimulatorError(`simulator: unknown chain "${c.name}" (deployment has: ${Object.keys(deployment.chains).join(', ')})`)
    const url = c.url ?? dep.url
    const chain = devnetChain({ name: dep.name, chainId: dep.chainId, url })
    return {
      dep,
      public: c.publicClient ?? createPublicClient({ chain, transport: http(url), pollingInterval: 50, cacheTime: 0 }),
      wallet: c.walletClient ?? createWalletClient({ account: devAccount(ROLES.operator), chain, transport: http(url) }),
    }
  })

  const readNext = async (d: ChainDriver) => Number(await d.public.readContract({ address: d.dep.controller, abi: simControllerAbi, functionName: 'nextIndex' }))

  /** The controller.update arguments of `index` for one chain, slashes over [from, index]. */
  function updateArgs(d: ChainDriver, from: number, index: number) {
    const lsts: { token: Address; aprWad: bigint; slashBps: bigint }[] = []
    const feeds: { feed: Address; answer: bigint }[] = []
    const vaults: { vault: Address; aprWad: bigint; idleBps: bigint; paused: boolean }[] = []
    const markets: { market: Address; liquidityRate: bigint; variableBorrowRate: bigint; utilisationBps: bigint; paused: boolean }[] = []
    const shocks: string[] = []
    for (const v of d.dep.venues) {
      const p = venueParamsAt(scenario, v, index)
      for (const k of p.shocks) shocks.push(`${k}@${v.id}`)
      if (v.kind === 'lst' && p.kind === 'lst') {
        lsts.push({ token: v.rateSource ?? v.token, aprWad: bpsToWad(p.aprBps), slashBps: bpsInt(slashBpsBetween(scenario, v.id, from, index)) })
        feeds.push({ feed: v.feed, answer: bpsToWad(p.priceBps) })
      } else if (v.kind === 'erc4626' && p.kind === 'erc4626') {
        vaults.push({ vault: v.vault, aprWad: bpsToWad(p.aprBps), idleBps: bpsInt(p.idleBps), paused: p.paused })
      } else if (v.kind === 'aave-v3' && p.kind === 'aave-v3') {
        markets.push({ market: v.market, liquidityRate: bpsToRay(p.aprBps), variableBorrowRate: bpsToRay(p.borrowAprBps), utilisationBps: bpsInt(p.utilisationBps), paused: p.paused })
      }
    }
    return { args: [BigInt(index), lsts, feeds, vaults, markets] as const, shocks }
  }

  async function send(d: ChainDriver, from: number, index: number): Promise<{ hash: Hash; shocks: string[] }> {
    const { args, shocks } = updateArgs(d, from, index)
    const request = { address: d.dep.controller, abi: simControllerAbi, functionName: 'update', args } as const
    // The estimate runs against the latest block, where checkpoints were just written (same
    // timestamp: accrual is a no-op); in the next block the same update mints accrued yield and
    // costs more. Pad generously: unused gas costs nothing on the devnet.
    const estimate = await d.public.estimateContractGas({ ...request, account: d.wallet.account })
    const hash = await d.wallet.writeContract({ ...request, gas: estimate * 2n + 100_000n })
    return { hash, shocks }
  }

  async function stepChain(d: ChainDriver, index: number): Promise<StepResult> {
    const next = await readNext(d)
    if (index < next) throw new SimulatorError(`simulator: ${d.dep.name}: index ${index} already applied (the controller accepts ${next} or later)`)
    const { hash, shocks } = await send(d, next, index)
    const r = await d.public.waitForTransactionReceipt({ hash, pollingInterval: 50 })
    if (r.status !== 'success') throw new SimulatorError(`simulator: ${d.dep.name}: update ${index} reverted (tx ${hash})`)
    return { chain: d.dep.name, index, blockNumber: r.blockNumber, txHash: hash, gasUsed: r.gasUsed, shocks }
  }

  async function runChain(d: ChainDriver, signal: AbortSignal): Promise<void> {
    const chainLog = log?.child({ chain: d.dep.name })
    let lastHead = -1n
    let lastShocks = ''
    while (!signal.aborted) {
      try {
        const head = await d.public.getBlockNumber()
        if (head !== lastHead) {
          lastHead = head
          const index = Number(head) + 1 - d.dep.originBlock + startBlock
          const next = await readNext(d)
          if (index >= 0 && index >= next) {
            const { hash, shocks } = await send(d, next, index)
            const key = shocks.join(',')
            if (key !== lastShocks) {
              chainLog?.info({ index, shocks, tx: hash }, shocks.length ? 'shocks active' : 'no shock active')
              lastShocks = key
            }
            // One update in flight at a time: the next range starts at the controller's nextIndex.
            const r = await d.public.waitForTransactionReceipt({ hash, pollingInterval: pollMs, timeout: 30_000 })
            if (r.status !== 'success') chainLog?.warn({ index, tx: hash }, 'update reverted')
            else chainLog?.debug({ index, block: Number(r.blockNumber), gasUsed: Number(r.gasUsed) }, 'update applied')
          }
        }
      } catch (err) {
        if (signal.aborted) break
        chainLog?.warn({ err: describeError(err) }, 'simulator step failed; retrying')
        await sleep(1_000, signal)
      }
      await sleep(pollMs, signal)
    }
  }

  return {
    scenario,
    async step(index) {
      if (!Number.isInteger(index) || index < 0) throw new SimulatorError(`simulator: block index must be an integer ≥ 0, got ${index}`)
      return Promise.all(drivers.map((d) => stepChain(d, index)))
    },
    async stepRange(from, to) {
      const out: StepResult[][] = []
      for (let i = from; i <= to; i++) out.push(await this.step(i))
      return out
    },
    async run(signal) {
      log?.info({ scenario: scenario.name, chains: drivers.map((d) => d.dep.name), startBlock }, 'simulator running')
      await Promise.all(drivers.map((d) => runChain(d, signal)))
      log?.info('simulator stopped')
    },
    async nextIndex(chain) {
      const d = drivers.find((x) => x.dep.name === chain)
      if (!d) throw new SimulatorError(`simulator: unknown chain "${chain}"`)
      return readNext(d)
    },
  }
}
