/**
 * `npm run plan -- list | show <id> [--verbose] | approve <id> --as <member> | reject <id> --as <member> | dry-run [chain]`
 * Committee approvals write exactly the rows the Telegram bot will write (plans/decide.ts).
 */
import { formatAmount } from '../core/amount'
import { parseArgs } from 'node:util'
import { loadConfig } from '../config/load'
import { ConfigError, describeError } from '../core/errors'
import { createLogger } from '../core/logger'
import { recordDecision } from '../plans/decide'
import { computePlan } from '../plans/proposePlan'
import { planFromExplanation } from '../plans/explanation'
import { comparedWithNowText } from '../plans/planNow'
import { openStore, type Store } from '../store'
import type { Config } from '../config/schema'
import { liquidityCheckText } from '../strategies/liquidity'
import { renderPlan } from '../strategies/plan'
import { unitOf } from '../watch/units'

const USAGE = 'usage: npm run plan -- list | show <id> [--verbose] | approve <id> --as <member> | reject <id> --as <member> | dry-run [chain] [--verbose]'
const ID = /^[A-Za-z0-9:_-]{1,80}$/

async function main() {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { as: { type: 'string' }, verbose: { type: 'boolean', short: 'v' }, limit: { type: 'string' } } })
  const [cmd, id] = positionals
  if (!cmd) throw new ConfigError([USAGE])
  if (id !== undefined && !ID.test(id)) throw new ConfigError([`plan id ${JSON.stringify(id.slice(0, 40))}: not a plan id (letters, digits, - : _ only)`])
  const config = loadConfig()
  const store = await openStore({ path: config.store.path, logger: createLogger({ cli: 'plan' }, 'warn') })
  try {
    switch (cmd) {
      case 'list':
        return await list(store, config, Number(values.limit ?? 20))
      case 'show':
        if (!id) throw new ConfigError([`show: which plan? ${USAGE}`])
        return await show(store, config, id, !!values.verbose)
      case 'approve':
      case 'reject': {
        if (!id) throw new ConfigError([`${cmd}: which plan? ${USAGE}`])
        if (!values.as) throw new ConfigError([`${cmd}: --as <member> is required (committee: ${config.strategy.committee.members.join(', ') || 'none configured'})`])
        const r = await recordDecision(store, { planId: id, member: values.as, decision: cmd, via: 'cli', committee: config.strategy.committee })
        console.log(r.message)
        if (r.outcome === 'refused') process.exitCode = 2
        return
      }
      case 'dry-run': {
        // What the strategist would propose now, from the store's latest samples; nothing is written.
        for (const c of config.chains.filter((c) => !id || c.name === id)) {
          const r = await computePlan({ config, store }, c.name)
          console.log(`── ${c.name}`)
          if (r.status === 'skipped') console.log(`no plan: ${r.reason}`)
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
        throw new ConfigError([`unknown command "${cmd}": ${USAGE}`])
    }
  } finally {
    await store.close()
  }
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
    const count = await store.approvals.count(p.id)
    const moved = formatAmount(p.totalAmount, u)
    const appr = p.needsApproval ? `${count.approve}/${p.approvalsRequired}` : '—'
    console.log([p.id.padEnd(24), p.status.padEnd(18), String(steps.length).padStart(5), moved.padStart(20), appr.padStart(10), new Date(p.createdAt).toISOString()].join('  '))
  }
}

async function show(store: Store, config: Config, id: string, verbose: boolean) {
  const found = await store.plans.getWithSteps(id)
  if (!found) throw new ConfigError([`no plan "${id}": \`npm run plan -- list\` shows the plans`])
  const { plan, steps } = found
  const approvals = await store.approvals.list(id)
  console.log(`Plan ${plan.id} — ${plan.status}${plan.error ? ` (${plan.error})` : ''}`)
  console.log(`based on ${Object.entries(plan.basedOnBlock).map(([c, b]) => `${c} block ${b}`).join(', ')}; created ${new Date(plan.createdAt).toISOString()}`)
  if (plan.needsApproval) {
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

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : `plan: ${describeError(err)}`)
  process.exit(1)
})
