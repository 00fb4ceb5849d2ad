/**
 * Test and benchmark data for the dashboard: a real store filled through the store's own write
 * functions with a realistic two-chain history (samples every minute, positions, a completed
 * plan whose horizon has passed, a committee plan with a Safe transaction, Wormhole transfers,
 * alerts, heartbeats, a pause, audit entries, a proposal with its tally receipt and vote).
 */
import type { Config } from '../../config/schema'
import { configSchema } from '../../config/schema'
import { buildReceipt } from '../../governance/receipt'
import { tally } from '../../governance/tally'
import type { Hex, SampleInput, Store } from '../../store'

export const T0 = 1_767_000_000 // newest block time (unix seconds)
export const BLOCK_SECONDS = 60
export const BLOCKS = 3_000 // ~2 days 2 hours per chain
export const E18 = 10n ** 18n

const ADDR = (n: number): Hex => `0x${n.toString(16).padStart(40, '0')}`
export const WSTETH_ETH = '0x7f39C581F595B53c5cb19bD0b3f8dA6c935E2Ca0'
export const WSTETH_ARB = '0x5979D7b546E38E414F7E9822514be443A4800529'
export const DELEGATOR_COUNTED = '0x00000000000000000000000000000000000d1e01'
export const DELEGATOR_BAD_SIG = '0x00000000000000000000000000000000000d1e02'

/** Block time of block `b` (1..BLOCKS). */
export const timeOf = (b: number): number => T0 - (BLOCKS - b) * BLOCK_SECONDS

/** A two-chain config: the collateral LST idle on each, an ERC-4626 vault on ethereum, an Aave market on arbitrum. */
export function dashboardConfig(storePath: string, over: Record<string, unknown> = {}): Config {
  return configSchema.parse({
    profile: 'web-test',
    store: { path: storePath },
    chains: [
      { name: 'ethereum', chainId: 1, rpc: [{ url: 'https://eth.example' }], blockTimeMs: 12_000 },
      { name: 'arbitrum', chainId: 42161, rpc: [{ url: 'https://arb.example' }], blockTimeMs: 12_000 },
    ],
    pool: {
      account: '0x00000000000000000000000000000000DeaDBeef',
      collateral: [
        { chain: 'ethereum', symbol: 'wstETH', token: WSTETH_ETH },
        { chain: 'arbitrum', symbol: 'wstETH', token: WSTETH_ARB },
      ],
    },
    venues: [
      { id: 'eth-wsteth', chain: 'ethereum', protocol: 'lido', kind: 'lst', address: WSTETH_ETH, rateMethod: 'stEthPerToken' },
      { id: 'eth-vault', chain: 'ethereum', protocol: 'steakhouse', kind: 'erc4626', address: '0x775F661b0bD1739349b9A2A3EF60be277c5d2D29' },
      { id: 'arb-wsteth', chain: 'arbitrum', protocol: 'lido', kind: 'lst', address: WSTETH_ARB, rateMethod: 'stEthPerToken' },
      {
        id: 'arb-aave',
        chain: 'arbitrum',
        protocol: 'aave-v3',
        kind: 'aave-v3',
        address: '0x794a61358D6845594F94dc1DB02A252b5b4814aD',
        dataProvider: '0x243Aa95cAC2a25651eda86e80bEe66114413c43b',
        asset: WSTETH_ARB,
        aToken: '0x513c7E3a9c69cA3e22550eF58AC1C0088e918FFf',
      },
    ],
    ...over,
  })
}

/** The vault's exchange rate at block b: 1 + b·3·10⁻⁸ (exact, linear: ~1.6 % a year at a block a minute). */
export const vaultRate = (b: number): bigint => E18 + BigInt(b) * 3n * 10n ** 10n

function sampleOf(venueId: string, chain: string, b: number): SampleInput {
  const t = timeOf(b)
  const wave = Math.sin(b / 200)
  const base = { venueId, chain, blockNumber: BigInt(b), blockHash: `0x${(b * 7 + chain.length).toString(16).padStart(64, '0')}` as Hex, blockTime: t, available: true, apySpanSeconds: 86_400 }
  switch (venueId) {
    case 'eth-wsteth':
    case 'arb-wsteth':
      return { ...base, exchangeRate: 1_200_000_000_000_000_000n + BigInt(b) * 10n ** 11n, apy: 0.03 + 0.002 * wave, tvl: 9_000_000n * E18, peg: venueId === 'arb-wsteth' && b > 2_850 ? 0.985 : 0.9995, paused: false }
    case 'eth-vault':
      return { ...base, exchangeRate: vaultRate(b), apy: b >= 1_500 && b < 1_600 ? 0.001 : 0.012 + 0.003 * wave, tvl: 40_000n * E18 + BigInt(b) * E18, withdrawable: 30_000n * E18, utilisation: null, paused: false }
    default:
      return { ...base, exchangeRate: E18 + BigInt(b) * 5n * 10n ** 11n, apy: 0.004 + 0.001 * wave, tvl: 80_000n * E18, utilisation: 0.6 + 0.15 * wave, withdrawable: 20_000n * E18, paused: false }
  }
}

const ms = (b: number) => timeOf(b) * 1000

/** Fills `store` (fresh) with the dashboard's test world. Returns the ids the tests look for. */
export async function fillDashboardStore(store: Store): Promise<{ completedPlan: string; awaitingPlan: string; bridgePlan: string; landedPlan: string; tallyId: number }> {
  // Samples: every venue every block; positions where they change.
  const batch: SampleInput[] = []
  for (let b = 1; b <= BLOCKS; b++) {
    batch.push(sampleOf('eth-wsteth', 'ethereum', b), sampleOf('eth-vault', 'ethereum', b), sampleOf('arb-wsteth', 'arbitrum', b), sampleOf('arb-aave', 'arbitrum', b))
  }
  await store.samples.insertMany(batch)
  await store.positions.upsertMany([
    { chain: 'ethereum', venueId: 'eth-wsteth', blockNumber: 1n, amount: 500n * E18 },
    { chain: 'ethereum', venueId: 'eth-vault', blockNumber: 1n, amount: 0n },
    { chain: 'arbitrum', venueId: 'arb-wsteth', blockNumber: 1n, amount: 300n * E18 },
    { chain: 'arbitrum', venueId: 'arb-aave', blockNumber: 1n, amount: 200n * E18 },
    // The completed plan moved 100 wstETH from idle into the vault at block 1000.
    { chain: 'ethereum', venueId: 'eth-wsteth', blockNumber: 1_000n, amount: 400n * E18 },
    { chain: 'ethereum', venueId: 'eth-vault', blockNumber: 1_000n, amount: 100n * E18 },
    { chain: 'ethereum', venueId: 'eth-vault', blockNumber: BigInt(BLOCKS), amount: (100n * E18 * vaultRate(BLOCKS)) / vaultRate(1_000) },
  ])
  for (const chain of ['ethereum', 'arbitrum']) {
    const last = sampleOf('x', chain, BLOCKS)
    await store.cursors.set({ chain, blockNumber: BigInt(BLOCKS), blockHash: last.blockHash, at: T0 * 1000 })
  }

  // A completed plan with a 1-day horizon, done at block 1000: its horizon has passed.
  const completedPlan = 'p-ethereum-1000'
  const explanation = (horizonDays: number, steps: Array<{ index: number; why: string }>) => ({
    version: 1,
    plan: { steps: steps.map((s) => ({ ...s, expectedGainPerYear: 0.9, cost: 0.001, costs: { gas: 0.001, slippage: 0, queue: 0 }, binding: [] })), expectedGainPerYear: 0.9, totalCost: '1000000000000000n', horizonDays, netBenefit: 0.0015, moved: 100, needsApproval: false, approval: { threshold: 500, required: 0, members: [] }, basedOn: [], scores: {}, units: {} },
    allocation: { currentYield: 0.03, targetYield: 0.0318, gainPerYear: 0.9, oneOffCost: 0.001, objective: 1, moved: 100, moveBudget: 1000, shadowPrices: {}, warnings: ['vault share cap binds at 25 %'], solver: 'lp' },
  })
  await store.plans.create({
    id: completedPlan,
    chain: 'ethereum',
    status: 'approved',
    basedOnBlock: { ethereum: 999n },
    totalAmount: 100n * E18,
    expectedGain: 2_465_753_424_657_534n, // 0.9 a year over 1 day
    cost: 1_000_000_000_000_000n,
    needsApproval: false,
    approvalsRequired: 0,
    explanation: explanation(1, [
      { index: 0, why: 'idle wstETH earns 3.0 %; the vault pays 1.5 % more risk-adjusted' },
      { index: 1, why: 'deposit into eth-vault up to its 25 % share cap' },
    ]),
    steps: [
      { kind: 'withdraw', chain: 'ethereum', venueId: 'eth-wsteth', amount: 100n * E18 },
      { kind: 'deposit', chain: 'ethereum', venueId: 'eth-vault', amount: 100n * E18 },
    ],
    at: ms(999),
  })
  await store.plans.transition(completedPlan, 'approved', 'executing', { at: ms(999) })
  for (const idx of [0, 1]) {
    const key = `${completedPlan}:${idx}:0`
    await store.intents.create({ key, chain: 'ethereum', from: ADDR(0xdead), to: ADDR(0xbeef + idx), data: '0x1234', at: ms(999) })
    const txHash = `0x${(0xabc0 + idx).toString(16).padStart(64, '0')}` as Hex
    await store.intents.sign(key, { minNonce: 0n, at: ms(999), sign: async () => ({ rawTx: '0x02f8', txHash, gasLimit: 200_000n, maxFeePerGas: 10n ** 9n, maxPriorityFeePerGas: 10n ** 8n }) })
    await store.intents.markBroadcast(key, txHash, { headBlock: 999n, at: ms(999) })
    await store.intents.markMined(key, { txHash, blockNumber: 1_000n, blockHash: sampleOf('x', 'ethereum', 1_000).blockHash, receiptStatus: 'success', gasUsed: 90_000n, effectiveGasPrice: 10n ** 9n }, ms(1_000))
    await store.intents.markConfirmed(key, ms(1_000))
    await store.plans.setStepStatus(completedPlan, idx, 'sent', { at: ms(1_000) })
    await store.plans.setStepStatus(completedPlan, idx, 'confirmed', { at: ms(1_000), mergeDetail: { tx: txHash } })
  }
  await store.plans.transition(completedPlan, 'executing', 'completed', { at: ms(1_000) })

  // A committee plan awaiting signatures: one owner signed so far.
  const awaitingPlan = 'p-pool-2990'
  await store.plans.create({
    id: awaitingPlan,
    chain: 'ethereum',
    status: 'awaiting_approval',
    basedOnBlock: { ethereum: 2_990n },
    totalAmount: 600n * E18,
    expectedGain: 9_000_000_000_000_000n,
    cost: 2_000_000_000_000_000n,
    needsApproval: true,
    approvalsRequired: 2,
    explanation: explanation(30, [{ index: 0, why: 'move <b>most</b> of the idle collateral into the vault' }]),
    steps: [{ kind: 'deposit', chain: 'ethereum', venueId: 'eth-vault', amount: 300n * E18 }],
    at: ms(2_990),
  })
  await store.approvals.record({ planId: awaitingPlan, member: 'alice', decision: 'approve', via: 'telegram', at: ms(2_992) })
  const safeTxHash = `0x${'5afe'.padStart(64, '0')}`
  await store.safeTxs.create({ planId: awaitingPlan, chain: 'ethereum', safe: ADDR(0x5afe), safeTxHash, createdBlock: 2_990n, tx: { to: ADDR(0x1), value: '0', data: '0x', operation: 1, safeTxGas: '0', baseGas: '0', gasPrice: '0', gasToken: ADDR(0), refundReceiver: ADDR(0), nonce: '7' }, at: ms(2_990) })
  await store.safeTxs.setConfirmations(awaitingPlan, 'ethereum', [ADDR(0xa11ce)], 2, ms(2_992))

  // Cross-chain plans: one transfer in flight, one landed and deposited.
  const bridgePlan = 'p-pool-2900'
  const landedPlan = 'p-pool-2000'
  for (const [id, b] of [[landedPlan, 2_000], [bridgePlan, 2_900]] as const) {
    await store.plans.create({
      id,
      chain: null,
      status: 'approved',
      basedOnBlock: { arbitrum: BigInt(b), ethereum: BigInt(b) },
      totalAmount: 50n * E18,
      expectedGain: 10n ** 15n,
      cost: 10n ** 14n,
      needsApproval: false,
      approvalsRequired: 0,
      steps: [
        { kind: 'withdraw', chain: 'arbitrum', venueId: 'arb-aave', amount: 50n * E18 },
        { kind: 'bridge', chain: 'arbitrum', venueId: 'arb-wsteth', amount: 50n * E18 },
        { kind: 'redeem', chain: 'ethereum', venueId: 'eth-wsteth', amount: 50n * E18 },
      ],
      at: ms(b),
    })
    await store.plans.transition(id, 'approved', 'executing', { at: ms(b) })
    const t = (await store.transfers.create({ planId: id, stepIdx: 1, redeemIdx: 2, sourceChain: 'arbitrum', destChain: 'ethereum', token: WSTETH_ARB, destToken: WSTETH_ETH, recipient: ADDR(0x5afe), amount: 50n * E18, received: 50n * E18 }, ms(b))).transfer
    await store.transfers.markInitiated(t.id, { sourceTx: `0x${(0xb000 + b).toString(16).padStart(64, '0')}`, sourceBlock: BigInt(b + 1), sequence: BigInt(b), emitter: ADDR(0xe) }, ms(b + 1))
    if (id === landedPlan) {
      await store.transfers.markVaaSigned(t.id, '0x01', ms(b + 3))
      await store.transfers.markRedeemed(t.id, { destTx: `0x${(0xd000 + b).toString(16).padStart(64, '0')}`, destBlock: BigInt(b + 5) }, ms(b + 5))
      await store.transfers.markDeposited(t.id, ms(b + 6))
      await store.plans.transition(id, 'executing', 'completed', { at: ms(b + 6) })
    }
  }

  // Alerts: an APY drop on the vault that recovered; a depeg still open.
  await store.alerts.raise({ dedupKey: 'apy-drop:ethereum:eth-vault', agent: 'watcher-ethereum', chain: 'ethereum', rule: 'apy-drop', subject: 'eth-vault', severity: 'warning', title: 'eth-vault APY fell to 0.10 %', blockNumber: 1_500n, at: ms(1_500) })
  await store.alerts.resolve('apy-drop:ethereum:eth-vault', { agent: 'watcher-ethereum', blockNumber: 1_600n, at: ms(1_600) })
  await store.alerts.raise({ dedupKey: 'depeg:arbitrum:arb-wsteth', agent: 'watcher-arbitrum', chain: 'arbitrum', rule: 'depeg', subject: 'arb-wsteth', severity: 'critical', title: 'arb-wsteth <script>alert(1)</script> trades at 0.985', blockNumber: 2_851n, at: ms(2_851) })

  // Agents, a pause, the audit log.
  await store.heartbeats.beat('watcher-ethereum', { last: { block: BLOCKS } }, { pid: 101, at: T0 * 1000 - 2_000 })
  await store.heartbeats.beat('executor', { paused: false, last: { plans: 0 } }, { pid: 102, at: T0 * 1000 - 1_000 })
  await store.heartbeats.beat('strategist', { paused: true }, { pid: 103, at: T0 * 1000 - 600_000 })
  await store.controls.set('pause:strategist', { reason: 'depeg on arbitrum' }, 'telegram:alice', ms(2_860))
  await store.audit.append({ actor: 'telegram:alice', action: 'pause', detail: { target: 'strategist' }, at: ms(2_860) })
  await store.audit.append({ actor: 'cli:bob', action: 'plan.approve', detail: { planId: awaitingPlan }, at: ms(2_995) })
  await store.audit.append({ actor: 'executor', action: 'bridge-initiated', detail: { transfer: `${bridgePlan}:1` }, at: ms(2_901) })
  await store.audit.append({ actor: 'cli:alice', action: 'plan.sign', detail: { planId: awaitingPlan }, at: ms(100) })

  // Governance: a proposal, its tally receipt, the pool's vote.
  const proposal = { id: 'sig-1', type: 'basic' as const, choices: ['For', 'Against', 'Abstain'], start: timeOf(2_000), end: timeOf(2_900) }
  const input = {
    proposal,
    policy: { silent: 'not-cast' as const, quorumBps: 0 },
    delegators: [
      { address: DELEGATOR_COUNTED as Hex, weightByChain: { ethereum: 700n * E18 } },
      { address: DELEGATOR_BAD_SIG as Hex, weightByChain: { ethereum: 300n * E18 } },
    ],
    signals: [
      { id: 'v1', voter: DELEGATOR_COUNTED as Hex, choice: 1, timestamp: timeOf(2_100), sigCheck: { ok: true, method: 'eoa' as const } },
      { id: 'v2', voter: DELEGATOR_BAD_SIG as Hex, choice: 2, timestamp: timeOf(2_200), sigCheck: { ok: false, method: 'eoa' as const, error: 'signature does not recover to the voter' } },
    ],
  }
  const result = tally(input)
  const receipt = buildReceipt(input, { snapshot: { space: 'upstream.eth', proposal: '0xupstream' } }, result)
  await store.governance.upsertProposal({ key: 'snapshot:upstream.eth:0xupstream', source: 'snapshot', space: 'upstream.eth', chain: null, governor: null, upstreamId: '0xupstream', type: 'basic', title: 'Raise the <i>fee</i> switch', choices: proposal.choices, start: proposal.start, end: proposal.end, snapshot: '2000', snapshotTime: timeOf(2_000) }, ms(2_000))
  const t = await store.governance.addTally({ proposalKey: 'snapshot:upstream.eth:0xupstream', status: result.status, receipt, hash: '0xreceipthash' }, ms(2_950))
  await store.governance.createCast({ key: 'cast:upstream:1', proposalKey: 'snapshot:upstream.eth:0xupstream', target: 'snapshot', tallyId: t.id, payload: { choice: 1 } }, ms(2_951))
  return { completedPlan, awaitingPlan, bridgePlan, landedPlan, tallyId: t.id }
}
