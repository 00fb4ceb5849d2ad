/**
 * The liquidity cap binds on a FIRST deposit into an ERC-4626 vault (issue 11, item 4), on real
 * anvil: the vault's venue-wide withdrawable liquidity is read through its `liquidityFunction`
 * (the devnet vaults' idleLiquidity()), stored with the sample, and the allocator keeps the
 * pool's target at most `maxWithdrawableShareBps` of what the vault could pay out after the
 * deposit. The deposit is then made on chain and the vault's own reading checked against it.
 *
 * A pool with no position in any vault: dev account #8 (unused by the devnet's roles), funded
 * with 400 wstETH by the deployer.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { erc20Abi, parseEther } from 'viem'
import { configSchema, type Config, type ConfigInput } from '../config/schema'
import { devAccount } from '../devnet/accounts'
import { simVaultAbi } from '../devnet/abis'
import { PER_BLOCK_WATCH } from '../devnet/deploy'
import { chainClient } from '../execution/testing/devnetHelpers'
import type { Store } from '../store'
import { openTempStore } from '../store/testing'
import { useDevnet } from '../test/devnet'
import { erc4626Abi } from '../venues/abis'
import { createWatcher } from '../watch/createWatcher'
import { createLogger } from '../core/logger'
import { computePlan } from './proposePlan'

const devnet = useDevnet()
const logger = createLogger({ test: 'liquidity-cap' }, 'silent')
const CHAIN = 'ethereum'
const FRESH = devAccount(8)
const BOOST = `${CHAIN}-vault-boost`
const CORE = `${CHAIN}-vault-core`

let store: Store
let cleanup: () => Promise<void>
beforeEach(async () => {
  ;({ store, cleanup } = await openTempStore())
})
afterEach(() => cleanup())

function config(opts: { liquidityFunction: boolean }): Config {
  const input = structuredClone(devnet.config) as ConfigInput
  input.pool.account = FRESH.address
  for (const c of input.chains) c.finalityDepth = 0
  input.watch = { ...input.watch, ...PER_BLOCK_WATCH }
  // Only the liquidity share may bind the vaults: no move budget, no committee, no per-venue caps.
  input.strategy = { ...(input.strategy ?? {}), approvalThreshold: 1_000_000, allocation: { maxMovePerPeriodBps: 10_000, maxWithdrawableShareBps: 5_000 } }
  input.venues = (input.venues ?? []).map((v) => {
    if (v.chain !== CHAIN) return v
    const out = { ...v, caps: {} }
    if (v.kind === 'erc4626' && !opts.liquidityFunction) delete (out as { liquidityFunction?: string }).liquidityFunction
    return out
  })
  return configSchema.parse(input)
}

async function fund(): Promise<void> {
  const c = devnet.chain(CHAIN)
  const token = devnet.deployment.chains[CHAIN]!.collateral
  const hash = await c.wallet(devAccount(0)).writeContract({ address: token, abi: erc20Abi, functionName: 'transfer', args: [FRESH.address, parseEther('400')] })
  await c.public.waitForTransactionReceipt({ hash })
}

async function watch(cfg: Config, blocks: number): Promise<void> {
  const w = createWatcher({ common: { config: cfg, logger }, store, chain: chainClient(cfg, CHAIN) })
  await w.tick()
  for (let i = 0; i < blocks; i++) {
    await devnet.mine(CHAIN, 1)
    expect((await w.tick()).status).toBe('processed')
  }
}

async function plannedTarget(cfg: Config, venueId: string) {
  const c = await computePlan({ config: cfg, store }, CHAIN)
  if (c.status !== 'computed') throw new Error(`no plan: ${JSON.stringify(c)}`)
  const t = c.allocation.targets.find((x) => x.venueId === venueId)!
  return { target: t.target, current: t.current, binding: t.binding.map((b) => b.constraint) }
}

describe('the liquidity cap on a first deposit into an ERC-4626 vault (real anvil)', () => {
  it('stores the vault’s venue-wide liquidity and caps the first deposit at half of what the vault could pay out after it', async () => {
    await fund()
    const cfg = config({ liquidityFunction: true })
    await watch(cfg, 6)
    const c = devnet.chain(CHAIN)
    const boost = devnet.venue(BOOST)
    if (boost.kind !== 'erc4626') throw new Error('boost is a vault')

    // The stored sample carries the vault's own idleLiquidity() at its block, and the pool's maxWithdraw (nothing held: 0).
    const latest = (await store.history.latestPerVenue({ chain: CHAIN })).find((s) => s.venueId === BOOST)!
    const onChain = await c.public.readContract({ address: boost.vault, abi: simVaultAbi, functionName: 'idleLiquidity', blockNumber: latest.blockNumber })
    expect(latest.liquidity).toBe(onChain)
    expect(latest.liquidity!).toBeGreaterThan(0n)
    expect(latest.withdrawable).toBe(0n)

    const { target, current, binding } = await plannedTarget(cfg, BOOST)
    expect(current).toBe(0n)
    expect(target).toBeGreaterThan(0n)
    expect(binding).toContain('liquidity-share')

    // Make the deposit on chain: afterwards the vault itself says the pool holds at most half of what
    // it could pay out, and all of the pool's position is withdrawable (no liquidity alert from the plan).
    const w = c.wallet(FRESH)
    await c.public.waitForTransactionReceipt({ hash: await w.writeContract({ address: devnet.deployment.chains[CHAIN]!.collateral, abi: erc20Abi, functionName: 'approve', args: [boost.vault, target] }) })
    await c.public.waitForTransactionReceipt({ hash: await w.writeContract({ address: boost.vault, abi: erc4626Abi, functionName: 'deposit', args: [target, FRESH.address] }) })
    const after = await c.public.readContract({ address: boost.vault, abi: simVaultAbi, functionName: 'idleLiquidity' })
    const held = await c.public.readContract({ address: boost.vault, abi: erc4626Abi, functionName: 'maxWithdraw', args: [FRESH.address] })
    // ≤ ½ of the vault's liquidity after the deposit (yield accrued meanwhile only adds to it)…
    expect(target * 2n).toBeLessThanOrEqual(after)
    // …and at the bound, not far below it (within 0.1 %).
    expect(target * 2n * 1000n).toBeGreaterThan(after * 999n)
    expect(held + 2n >= target).toBe(true)
  })

  it('a vault whose liquidity is not read (no liquidityFunction) is not capped on a first deposit; read, it is', async () => {
    await fund()
    await watch(config({ liquidityFunction: false }), 4)
    const latest = (await store.history.latestPerVenue({ chain: CHAIN })).find((s) => s.venueId === CORE)!
    expect(latest.liquidity).toBeNull()
    const blind = await plannedTarget(config({ liquidityFunction: false }), BOOST)
    expect(blind.current).toBe(0n)
    expect(blind.target).toBeGreaterThan(0n)
    expect(blind.binding).not.toContain('liquidity-share')
    // The same pool and chain, the vaults' liquidity read from the next blocks on: the first deposit is capped, and lower.
    const cfg = config({ liquidityFunction: true })
    await watch(cfg, 2)
    const capped = await plannedTarget(cfg, BOOST)
    expect(capped.binding).toContain('liquidity-share')
    expect(capped.target).toBeLessThan(blind.target)
  })
})
