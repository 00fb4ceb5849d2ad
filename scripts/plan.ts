/**
 * `npm run plan -- list | show <id> [--verbose] | approve <id> --as <member> | reject <id> --as <member> | dry-run [chain]`
 * Committee approvals write exactly the rows the Telegram bot will write (plans/decide.ts).
 */
import { formatAmount } from '../core/amount'
import { createPublicClient, http, type PublicClient } from 'viem'
import { parseArgs } from 'node:util'
import { loadConfig } from '../config/load'
import { ConfigError, UsageError, describeError } from '../core/errors'
import { runCli } from './lib/cli'
import { createLogger } from '../core/logger'
import { approvalsOf, recordDecision } from '../plans/decide'
import { COMMITTEE, committeeKey, type CommitteeName } from '../devnet/accounts'
import { signAndSubmit, txServiceOf } from '../execution/committee/planSafeTx'
import { computePlan } from '../plans/proposePlan'
import { createChainClient } from '../chains/createChainClient'
import { readFeeHistory } from '../chains/feeHistory'
import type { FeeHistoryReading } from '../strategies/gasPrice'
import { planFromExplanation } from '../plans/explanation'
import { comparedWithNowText } from '../plans/planNow'
import { openStore, type Store } from '../store'
import type { Config } from '../config/schema'
import { liquidityCheckText } from '../strategies/liquidity'
import { renderPlan } from '../strategies/plan'
import { unitOf } from '../watch/units'
import { forkDeltaText, noForkText } from '../plans/forkReport'

const USAGE = 'usage: npm run plan -- list | show <id> [--verbose] | approve <id> --as <member> | reject <id> --as <member> | dry-run [chain] [--verbose]'
const ID = /^[A-Za-z0-9:_-]{1,80}$/

async function main() {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { as: { type: 'string' }, verbose: { type: 'boolean', short: 'v' }, limit: { type: 'string' } } })
  const [cmd, id] = positionals
  if (!cmd) throw new UsageError(USAGE)
  if (id !== undefined && !ID.test(id)) throw new UsageError(`plan id ${JSON.stringify(id.slice(0, 40))}: not a plan id (letters, digits, - : _ only)`)
  const config = loadConfig()
  const store = await openStore({ path: config.store.path, logger: createLogger({ cli: 'plan' }, 'warn') })
  try {
    switch (cmd) {
      case 'list':
        return await list(store, config, Number(values.limit ?? 20))
      case 'show':
        if (!id) throw new UsageError(`show: which plan? ${USAGE}`)
        return await show(store, config, id, !!values.verbose)
      case 'approve':
      case 'reject': {
        if (!id) throw new UsageError(`${cmd}: which plan? ${USAGE}`)
        if (!values.as) throw new UsageError(`${cmd}: --as <member> is required (committee: ${config.strategy.committee.members.join(', ') || 'none configured'})`)
        if (config.custody.kind === 'safe') return await signAsOwner(store, config, id, values.as, cmd)
        const r = await recordDecision(store, { planId: id, member: values.as, decision: cmd, via: 'cli', committee: config.strategy.committee })
        console.log(r.message)
        if (r.outcome === 'refused') process.exitCode = 2
        return
      }
      case 'dry-run': {
        // What the strategist would propose now, from the store's latest samples; nothing is written.
        const feeHistory = config.strategy.costs.gas.source === 'fee-history' ? await readFees(config) : undefined
        for (const c of config.chains.filter((c) => !id || c.name === id)) {
          const r = await computePlan({ config, store }, c.name, feeHistory ? { feeHistory } : {})
          console.log(`── ${c.name}`)
          if (r.status === 'skipped') console.log(`no plan: ${r.reason}`)
          else if (r.status === 'hold') console.log(`no plan: ${r.reason}`)
          else if (r.plan.steps.length === 0) {
            // The binding reason, computed by the strategy (strategies/hold.ts), not a guess.
            const reasons = r.hold ?? []
            console.log(`no move: ${reasons.length ? reasons[0]!.text : 'nothing to do'}`)
            for (const x of reasons.slice(1)) console.log(`  and ${x.text}`)
            console.log(liquidityCheckText(r.allocation.liquidityCheck))
          } else {
            console.log(renderPlan(r.plan, { verbose: !!values.verbose }))
            console.log(liquidityCheckText(r.allocation.liquidityCheck))
          }
        }
        return
      }
      default:
        throw new UsageError(`unknown command "${cmd}": ${USAGE}`)
    }
  } finally {
    await store.close()
  }
}

/** Every chain's fee history (strategy.costs.gas.source "fee-history"); a failed read is missing (the dry run then says why it holds). */
async function readFees(config: Config): Promise<Record<string, FeeHistoryReading | null>> {
  const read = async (c: Config['chains'][number]) => {
    try {
      return [c.name, await readFeeHistory(createChainClient({ chain: c }).client, config.strategy.costs.gas)] as const
    } catch (err) {
      console.error(`${c.name}: fee history read failed: ${describeError(err)}`)
      return [c.name, null] as const
    }
  }
  return Object.fromEntries(await Promise.all(config.chains.map(read)))
}

/**
 * Custody "safe": an approval is the owner's EIP-712 signature of the plan's Safe transaction(s),
 * confirmed on the Safe Transaction Service; the executor verifies the signatures on chain and
 * executes at the threshold. Devnet only: the member's devnet key signs. Live committees sign in
 * Safe{Wallet}, and reject there (a rejection at the same nonce cancels the plan).
 */
async function signAsOwner(store: Store, config: Config, id: string, member: string, cmd: 'approve' | 'reject') {
  if (config.profile !== 'devnet') {
    throw new ConfigError([`${cmd}: custody "safe" on a live profile: the committee signs in Safe{Wallet} (Transactions → Queue) with its own wallets; this CLI holds no owner key`])
  }
  if (cmd === 'reject') {
    throw new ConfigError([`reject: in custody "safe" a plan is rejected by using its Safe nonce for another transaction (Safe{Wallet}: "Reject transaction"); the executor then marks the plan cancelled`])
  }
  if (!(member in COMMITTEE)) throw new UsageError(`--as ${JSON.stringify(member)}: not a devnet committee member (known: ${Object.keys(COMMITTEE).join(', ')})`)
  const plan = await store.plans.get(id)
  if (!plan) throw new UsageError(`no plan "${id}": \`npm run plan -- list\` shows the plans`)
  if (plan.status !== 'awaiting_approval') throw new UsageError(`plan ${id} is ${plan.status.replace('_', ' ')}, not awaiting approval`)
  const txs = await store.safeTxs.ofPlan(id)
  if (txs.length === 0) throw new UsageError(`plan ${id}: its Safe transaction is not stored yet — the executor builds it on its next round (is it running? npm run status)`)
  for (const st of txs) {
    const chain = config.chains.find((c) => c.name === st.chain)!
    const service = txServiceOf(config, st.chain)
    if (!service) throw new ConfigError([`custody.chains[${st.chain}].txServiceUrl is not set: nowhere to send the signature`])
    const c = { name: st.chain, url: chain.rpc[0]!.url, client: createPublicClient({ transport: http(chain.rpc[0]!.url) }) as PublicClient }
    if (st.status !== 'proposed') {
      console.log(`${st.chain}: Safe tx ${st.safeTxHash} is ${st.status}; nothing to sign`)
      continue
    }
    const r = await signAndSubmit(config, c, st, committeeKey(member as CommitteeName), service)
    console.log(`${st.chain}: ${member} (${r.owner}) ${r.proposed ? 'proposed and signed' : 'signed'} Safe tx ${st.safeTxHash} (nonce ${st.nonce}); confirmations on the service: ${r.confirmations.length}/${Math.max(st.threshold ?? 0, plan.approvalsRequired)} — the executor verifies them on chain and executes at the threshold`)
  }
  await store.audit.append({ actor: `cli:${member}`, action: 'plan.sign', detail: { planId: id, safeTxs: txs.map((t) => t.safeTxHash) } })
}

/** A plan's unit: its chain's collateral, the pool's for a cross-chain plan (watch/units.ts). */
const units = (config: Config, chain: string | null) => unitOf(config, chain)

async function list(store: Store, config: Config, limit: number) {
  const plans = await store.plans.list({ limit })
  if (plans.length === 0) return console.log('no plans yet')
  console.log(['ID'.padEnd(24), 'STATUS'.padEnd(18), 'STEPS', 'MOVED'.padStart(20), 'APPROVALS'.padStart(10), 'CREATED'].join('  '))
  for (const p of plans) {
    const u = units(config, p.chain)
    const steps = await store.plans.steps(p.id)
    const count = { approve: await approvalsOf(config, store, p) }
    const moved = formatAmount(p.totalAmount, u)
    const appr = p.needsApproval ? `${count.approve}/${p.approvalsRequired}` : '—'
    console.log([p.id.padEnd(24), p.status.padEnd(18), String(steps.length).padStart(5), moved.padStart(20), appr.padStart(10), new Date(p.createdAt).toISOString()].join('  '))
  }
}

async function show(store: Store, config: Config, id: string, verbose: boolean) {
  const found = await store.plans.getWithSteps(id)
  if (!found) throw new UsageError(`no plan "${id}": \`npm run plan -- list\` shows the plans`)
  const { plan, steps } = found
  const approvals = await store.approvals.list(id)
  console.log(`Plan ${plan.id} — ${plan.status}${plan.error ? ` (${plan.error})` : ''}`)
  console.log(`based on ${Object.entries(plan.basedOnBlock).map(([c, b]) => `${c} block ${b}`).join(', ')}; created ${new Date(plan.createdAt).toISOString()}`)
  if (plan.needsApproval && config.custody.kind === 'safe') {
    const txs = await store.safeTxs.ofPlan(id)
    if (txs.length === 0) console.log('committee: the Safe transaction is not stored yet (the executor builds it)')
    for (const t of txs) {
      console.log(`committee: Safe tx on ${t.chain} ${t.safeTxHash} (nonce ${t.nonce}, ${t.status}) — signatures verified ${t.confirmations.length}/${Math.max(t.threshold ?? 0, plan.approvalsRequired)}${t.confirmations.length ? `: ${t.confirmations.join(', ')}` : ''}`)
      // What the committee signs, executed on a fork of the chain before anyone signed.
      console.log(`  ${t.forkSimulation ? forkDeltaText(config, t.chain, t.forkSimulation) : noForkText(t.chain)}`)
    }
  } else if (plan.needsApproval) {
    console.log(`committee: ${approvals.filter((a) => a.decision === 'approve').length}/${plan.approvalsRequired} approvals${approvals.length ? ` — ${approvals.map((a) => `${a.member} ${a.decision} (${a.via})`).join(', ')}` : ''}`)
  }
  console.log('steps:')
  // Each step in its own chain's collateral (a cross-chain plan's steps are on several chains).
  for (const s of steps) console.log(`  ${s.idx}. ${s.kind.padEnd(8)} ${formatAmount(s.amount, units(config, s.chain), { digits: 4 }).padStart(20)} ${s.venueId.padEnd(22)} ${s.status}${s.error ? ` — ${s.error}` : ''}`)
  const compared = await comparedWithNowText({ config, store }, plan, steps)
  if (compared) {
    console.log()
    console.log(compared)
  }
  const e = planFromExplanation(plan.explanation)
  if (e) {
    console.log()
    console.log(renderPlan(e.plan, { verbose }))
    if (e.allocation.warnings.length) console.log(`warnings: ${e.allocation.warnings.join('; ')}`)
    if (e.allocation.liquidityCheck) console.log(liquidityCheckText(e.allocation.liquidityCheck))
    const pu = unitOf(config, null)
    console.log(
      `allocation: risk-adjusted yield ${formatAmount(e.allocation.currentYield, pu, { digits: 4 })} → ${formatAmount(e.allocation.targetYield, pu, { digits: 4 })}/year; moved ${formatAmount(e.allocation.moved, pu, { digits: 4 })} of a budget of ${formatAmount(e.allocation.moveBudget, pu, { digits: 4 })}`,
    )
    if (!verbose) console.log('(--verbose: every venue\'s score components)')
  }
}

runCli('plan', main, { usage: USAGE })
