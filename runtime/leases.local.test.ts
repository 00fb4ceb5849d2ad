import { afterEach, expect, it } from 'vitest'
import { agentConfig } from '../test/agentProcess'
import { leaseFaults, type FaultRow, type LeaseFaultTarget } from '../test/faults/leases'

/**
 * One active instance per role, with real agent processes over one SQLite file (issue 16 item 2):
 * a second instance waits as the standby, takes over when the first is SIGKILLed, and a holder
 * SIGSTOPped past its lease then SIGCONTed writes nothing and exits. The cases are
 * test/faults/leases.ts (also run by `npm run faults`).
 */
// anvil's first and second default accounts: test keys, no funds anywhere that matters. The pool
// account is the executor's (custody "eoa" requires it).
const POOL = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
const EXECUTOR_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'
const VOTER_KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d'

let cleanup: (() => Promise<void>) | undefined
afterEach(async () => {
  await cleanup?.()
  cleanup = undefined
})

async function setup(): Promise<{ configPath: string; storePath: string }> {
  const c = await agentConfig('poolwarden-leases-', { runtime: { leaseSeconds: 2 } }, POOL)
  cleanup = c.cleanup
  return c
}

function expectAllPassed(rows: FaultRow[]) {
  expect(rows.map((r) => [r.fault, r.passed, r.nothingLost, r.observed]).filter((r) => !r[1] || !r[2])).toEqual([])
  expect(rows).toHaveLength(3)
}

it('fencing, with a singleton that writes every round: the resumed stale holder writes nothing, the new holder goes on', async () => {
  const { configPath, storePath } = await setup()
  const target: LeaseFaultTarget = {
    label: 'lease probe',
    file: 'test/fixtures/leaseProbe.ts',
    role: 'lease-probe',
    env: { POOLWARDEN_CONFIG: configPath },
    storePath,
    writes: async (store, pid) => (await store.intents.list({ keyPrefix: `probe:${pid}:` })).length,
  }
  const rows = await leaseFaults(target)
  expectAllPassed(rows)
}, 240_000)

it.each([
  ['executor', 'agents/executor.ts', 'executor', { POOLWARDEN_EXECUTOR_KEY: EXECUTOR_KEY }],
  ['governor', 'agents/governor.ts', 'governor', { POOLWARDEN_VOTER_KEY: VOTER_KEY }],
  ['watcher', 'agents/watcher.ts', 'watcher-ethereum', { POOLWARDEN_CHAIN: 'ethereum' }],
])('a second %s waits, takes over from a SIGKILLed first, and a SIGSTOPped-then-SIGCONTed holder stops', async (label, file, role, env) => {
  const { configPath, storePath } = await setup()
  const rows = await leaseFaults({ label, file, role, env: { POOLWARDEN_CONFIG: configPath, ...env }, storePath })
  expectAllPassed(rows)
}, 240_000)
