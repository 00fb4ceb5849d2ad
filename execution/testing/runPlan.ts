/**
 * Test runner (child process) for the kill test: executes one plan against the configured chains
 * with the real store, senders and executePlan, printing every hook point it passes as
 * `POINT <name>`. When the point named by POOLWARDEN_DIE_AT is reached it prints `DIE <name>`
 * and stops there (nothing else runs) until the test SIGKILLs it.
 *
 * env: POOLWARDEN_CONFIG (config file), POOLWARDEN_EXECUTOR_KEY (the executor's key: the pool's on the devnet), POOLWARDEN_PLAN (plan id),
 *      POOLWARDEN_DIE_AT (optional point name), POOLWARDEN_POLL_MS (default 50),
 *      POOLWARDEN_WAIT_GO=1: load, then wait for a line `GO [<die-at point>]` on stdin before doing
 *      anything (the test starts the next process while the current one runs: module loading
 *      is most of a restart's time).
 * Point names: `<tx point>:<intent key>` (created, signed, sent, broadcast, replaced, mined, confirmed)
 * and `<plan point>:<step idx>` (step-start, step-txs-confirmed, step-done), and with a wormhole config
 * `bridge-<point>:<transfer id>` (source-confirmed, initiated, vaa-signed, redeem-confirmed, redeemed).
 * Exit: 0 completed, 3 failed, 4 paused or not executable, 1 error. Last line: `RESULT <status>`.
 */
import { createChainClient, type ChainClient } from '../../chains/createChainClient'
import { loadConfig } from '../../config/load'
import { readExecutorSigner } from '../../config/secrets'
import { describeError } from '../../core/errors'
import { createLogger } from '../../core/logger'
import { openStore } from '../../store'
import { createTxSender, type TxSender } from '../createTxSender'
import { executePlan } from '../executePlan'

let dieAt = process.env.POOLWARDEN_DIE_AT
const trace = process.env.POOLWARDEN_TRACE ? (label: string) => process.stdout.write(`TRACE ${label} ${Math.round(performance.now())}\n`) : () => undefined
const pollIntervalMs = Number(process.env.POOLWARDEN_POLL_MS ?? 50)

async function point(name: string): Promise<void> {
  trace(name)
  process.stdout.write(`POINT ${name}\n`)
  if (name === dieAt) {
    process.stdout.write(`DIE ${name}\n`)
    // Stop the world here: the test kills this process with SIGKILL.
    await new Promise(() => undefined)
  }
}

async function main(): Promise<number> {
  const planId = process.env.POOLWARDEN_PLAN
  if (!planId) throw new Error('POOLWARDEN_PLAN is not set')
  trace('main')
  const config = loadConfig()
  trace('config')
  const logger = createLogger({ agent: 'executor-test' }, process.env.LOG_LEVEL ?? 'silent')
  const store = await openStore({ path: config.store.path, logger })
  trace('store')
  try {
    const found = await store.plans.getWithSteps(planId)
    if (!found) throw new Error(`plan ${planId} not in the store`)
    const account = readExecutorSigner(config)
    const names = [...new Set(found.steps.map((s) => s.chain))]
    const chains: Record<string, ChainClient> = {}
    const senders: Record<string, TxSender> = {}
    for (const name of names) {
      const chainConfig = config.chains.find((c) => c.name === name)
      if (!chainConfig) throw new Error(`chain ${name} not in the config`)
      chains[name] = createChainClient({ chain: chainConfig, logger })
      senders[name] = createTxSender({
        common: { config, logger },
        store,
        chain: chains[name],
        account,
        options: { pollIntervalMs, hooks: { at: (p, intent) => point(`${p}:${intent.key}`) } },
      })
    }
    trace('senders')
    for (const s of Object.values(senders)) await s.reconcile()
    trace('reconciled')
    const res = await executePlan({
      common: { config, logger },
      store,
      chains,
      senders,
      plan: found.plan,
      steps: found.steps,
      hooks: { at: (p, ctx) => point(`${p}:${ctx.stepIdx}`) },
      // Cross-chain steps (with a wormhole config): bridge points are `bridge-<point>:<transfer id>`.
      // Loaded only for plans that cross chains: the SDK would slow every other runner's start.
      bridge:
        config.wormhole && found.steps.some((s) => s.kind === 'bridge' || s.kind === 'redeem')
          ? {
              port: (await import('../bridgeSdk')).createSdkBridgePort(config),
              options: { backoffMs: { initial: 50, max: 400 }, waitMs: 15_000, hooks: { at: (p, t) => point(`bridge-${p}:${t.id}`) } },
            }
          : undefined,
    })
    process.stdout.write(`RESULT ${res.status}${res.status === 'failed' ? ` ${res.error}` : ''}\n`)
    return res.status === 'completed' ? 0 : res.status === 'failed' ? 3 : 4
  } finally {
    await store.close()
  }
}

/** Resolves on the first stdin line `GO [point]` (sets the die-at point). */
function waitForGo(): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = ''
    const onData = (d: Buffer) => {
      buf += d.toString()
      const nl = buf.indexOf('\n')
      if (nl < 0) return
      process.stdin.off('data', onData)
      process.stdin.pause()
      const [cmd, arg] = buf.slice(0, nl).trim().split(/\s+/)
      if (cmd !== 'GO') return reject(new Error(`expected GO on stdin, got ${cmd}`))
      if (arg) dieAt = arg
      resolve()
    }
    process.stdin.on('data', onData)
    process.stdin.once('end', () => reject(new Error('stdin closed before GO')))
  })
}

;(process.env.POOLWARDEN_WAIT_GO ? waitForGo() : Promise.resolve())
  .then(main)
  .then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stdout.write(`RESULT error ${describeError(err)}\n`)
    process.exit(1)
  },
)
