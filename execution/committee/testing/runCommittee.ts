/**
 * Test runner (child process) for the committee kill test: drives one committee plan with the real
 * store, the executor's exactly-once sender and runCommitteePlan, printing every point it passes
 * as `POINT <name>`; at POOLWARDEN_DIE_AT it prints `DIE <name>` and stops there until the test
 * SIGKILLs it.
 * env: POOLWARDEN_CONFIG, POOLWARDEN_EXECUTOR_KEY, POOLWARDEN_PLAN, POOLWARDEN_DIE_AT (optional).
 * Points: `signatures-verified:<chain>`, `exec-sent:<chain>` (runCommitteePlan) and the sender's
 * `<tx point>:<intent key>` (created, signed, broadcast, mined, confirmed).
 * Last line: `RESULT <status>`; exit 0 completed, 4 anything else, 1 error.
 */
import { createChainClient, type ChainClient } from '../../../chains/createChainClient'
import { loadConfig } from '../../../config/load'
import { readExecutorSigner } from '../../../config/secrets'
import { describeError } from '../../../core/errors'
import { createLogger } from '../../../core/logger'
import { openStore } from '../../../store'
import { createTxSender, type TxSender } from '../../createTxSender'
import { runCommitteePlan } from '../runCommitteePlan'

const dieAt = process.env.POOLWARDEN_DIE_AT

async function point(name: string): Promise<void> {
  process.stdout.write(`POINT ${name}\n`)
  if (name === dieAt) {
    process.stdout.write(`DIE ${name}\n`)
    await new Promise(() => undefined)
  }
}

async function main(): Promise<number> {
  const planId = process.env.POOLWARDEN_PLAN
  if (!planId) throw new Error('POOLWARDEN_PLAN is not set')
  const config = loadConfig()
  const logger = createLogger({ agent: 'executor-test' }, 'silent')
  const store = await openStore({ path: config.store.path, logger })
  try {
    const account = readExecutorSigner(config)
    const chains: Record<string, ChainClient> = {}
    const senders: Record<string, TxSender> = {}
    for (const c of config.chains) {
      chains[c.name] = createChainClient({ chain: c, logger })
      senders[c.name] = createTxSender({ common: { config, logger }, store, chain: chains[c.name]!, account, options: { pollIntervalMs: 20, hooks: { at: (p, intent) => point(`${p}:${intent.key}`) } } })
    }
    const r = await runCommitteePlan({ common: { config, logger }, store, chains, senders, hooks: { at: (p, ctx) => point(`${p}:${ctx.chain}`) } }, planId)
    process.stdout.write(`RESULT ${r.status}\n`)
    return r.status === 'completed' ? 0 : 4
  } finally {
    await store.close()
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stdout.write(`RESULT error ${describeError(err)}\n`)
    process.exit(1)
  },
)
