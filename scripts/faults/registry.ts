/**
 * Every fault case of `npm run faults`, in table order. To add cases (a new fault of issue 16):
 * write them as `RunCase`s (a function that injects the fault on a network of its own and says
 * what it saw, plus a test calling it) or point a `TestCase` at the tests that already inject it,
 * export them from a module here beside the others, and add that list below. `PLANNED` lists the
 * faults of the issue that have no case yet: the table shows them as not built, and the run fails
 * until they are.
 */
import { START_AFTER_EXPECTED, START_STOP_CASES, START_STOP_EXPECTED, interruptStart, startThenStop, testNetwork, type TestNetwork } from './startStop'
import type { FaultCase, FaultCaseBase, RunCase } from './types'

// ── existing tests that inject faults (kept as they are; the table reports their outcome) ──────

export const KILL_CASES: FaultCase[] = [
  {
    kind: 'test',
    id: 'kill-plan',
    group: 'kill',
    fault: 'SIGKILL of the executor at every step boundary and every stored point of every tx of a plan (29 kills), then at 8 random moments',
    expected: 'restarted each time, the plan completes; each of its 5 txs on chain exactly once; positions moved once',
    project: 'devnet',
    file: 'execution/killPlan.devnet.test.ts',
    tests: ['kill test (devnet, child process)'],
  },
  {
    kind: 'test',
    id: 'kill-transfer',
    group: 'kill',
    fault: 'SIGKILL of the executor at every point of a Wormhole transfer (source intents, initiated, VAA, redeem intent, redeemed)',
    expected: 'restarted each time: exactly one redeem, collateral conserved across the chains',
    project: 'devnet',
    file: 'execution/bridgeKill.devnet.test.ts',
    tests: ['bridge kill test (devnet, child process)'],
  },
  {
    kind: 'test',
    id: 'kill-committee',
    group: 'kill',
    fault: 'SIGKILL of the executor after the last committee signature and after execTransaction is broadcast',
    expected: 'restarted: the Safe transaction executes exactly once, nothing re-signed',
    project: 'devnet',
    file: 'execution/committee/committeeKill.devnet.test.ts',
    tests: ['committee plan: SIGKILL around execTransaction'],
  },
  {
    kind: 'test',
    id: 'kill-vote',
    group: 'kill',
    fault: 'the governor killed after signing a vote (Snapshot and the local hub; the cast path alone)',
    expected: 'the same signed payload is resubmitted, never a second different vote',
    project: 'devnet',
    file: 'governance/governorRound.devnet.test.ts',
    tests: ['killed after signing'],
  },
  {
    kind: 'test',
    id: 'kill-vote-cast',
    group: 'kill',
    fault: 'a Snapshot vote cast killed after signing, before the hub answered',
    expected: 'the stored envelope is resubmitted, never signed again',
    project: 'local',
    file: 'governance/castSnapshot.local.test.ts',
    tests: ['killed after signing'],
  },
]

export const REORG_CASES: FaultCase[] = [
  {
    kind: 'test',
    id: 'reorg-watcher',
    group: 'reorg',
    fault: '1-, 3- and 70-block anvil_reorg and a 2-block anvil_rollback under a running watcher; a reorg deeper than finality',
    expected: 'no sample, position or alert of an orphaned block kept (unsent alerts never sent, sent ones corrected); a deep reorg pauses executor and strategist with a critical alert',
    project: 'devnet',
    file: 'watch/reorg.devnet.test.ts',
    tests: ['reorgs under a watcher'],
  },
  {
    kind: 'test',
    id: 'reorg-read',
    group: 'reorg',
    fault: 'a block replaced while it is read; a parent that is no longer the chain’s',
    expected: 'reads pinned to the block hash (EIP-1898): the readings are refused, the reorg detected',
    project: 'local',
    file: 'chains/readBlock.local.test.ts',
    tests: ['BlockReorgedError', 'ReorgDetectedError', 'pins the multicall'],
  },
]

export const RPC_CASES: FaultCase[] = [
  {
    kind: 'test',
    id: 'rpc-garbage',
    group: 'rpc',
    fault: 'an RPC answering garbage, then nothing, then recovering; a dead first RPC URL',
    expected: 'the watcher backs off and alerts once, fails over, then back-fills every missed block',
    project: 'devnet',
    file: 'watch/watcher.devnet.test.ts',
    tests: ['answers garbage or nothing', 'fails over from a dead first RPC URL'],
  },
  {
    kind: 'test',
    id: 'hub-429',
    group: 'rpc',
    fault: 'the Snapshot hub answering 429 and malformed answers',
    expected: 'the governor backs off and refuses the malformed answer without crashing',
    project: 'devnet',
    file: 'governance/governorRound.devnet.test.ts',
    tests: ['backs off on hub 429'],
  },
]

export const CONFIG_CASES: FaultCase[] = [
  {
    kind: 'test',
    id: 'config-malformed',
    group: 'config',
    fault: 'a malformed config (unknown chain, bad address or checksum, missing RPC, duplicates, unknown keys…)',
    expected: 'refused before anything starts: one line per problem naming the field and the fix',
    project: 'pure',
    file: 'config/load.test.ts',
    tests: ['config errors'],
  },
  {
    kind: 'test',
    id: 'key-wrong-account',
    group: 'config',
    fault: 'a key file of the wrong account (not the pool’s signer; the executor’s key given to the governor)',
    expected: 'refused, naming the variable, never echoing the key',
    project: 'local',
    file: 'config/secrets.local.test.ts',
    tests: ['refuses a key for another address', 'gives the pool', 'refuses the pool', 'refuses a malformed key'],
  },
]

export const LEASE_CASES: FaultCase[] = [
  {
    kind: 'test',
    id: 'second-instance',
    group: 'leases',
    fault: 'a second executor, governor and watcher beside the first; the first SIGKILLed, then SIGSTOPped/SIGCONTed',
    expected: 'the second waits as a hot standby, takes over within seconds; the paused old holder cannot act (fencing)',
    project: 'local',
    file: 'runtime/leases.local.test.ts',
  },
]

export const LIMIT_CASES: FaultCase[] = [
  {
    kind: 'test',
    id: 'rate-limit-shared',
    group: 'rpc',
    fault: 'three processes on one 5 requests/s URL; a 429 with Retry-After: 3 answered to one of them',
    expected: 'the URL\'s limit holds across the processes (distinct slots 200 ms apart); none of the three reaches the URL until the Retry-After ends; nothing lost',
    project: 'local',
    file: 'chains/pacing.local.test.ts',
  },
  {
    kind: 'test',
    id: 'rate-limit-storm',
    group: 'rpc',
    fault: 'a 60-second 429 storm with Retry-After: 5 on every URL of a chain',
    expected: 'every process using the chain (its watcher and the sentinel, as processes) honours the shared per-URL limit and every Retry-After, whichever process got it: about one request per URL per 5 s during the storm; no process crashes or restarts; the watcher back-fills every block it missed (no gap); each RPC alert of the outage (“no RPC endpoint answers”; a URL’s own when the watcher got its 429s) raised once and recovered once, nothing else raised (no “watcher stopped”)',
    project: 'devnet',
    file: 'scripts/faults/rateLimitStorm.devnet.test.ts',
  },
]

export const EXECUTION_CASES: FaultCase[] = [
  {
    kind: 'test',
    id: 'stuck-tx',
    group: 'execution',
    fault: 'a stuck transaction (a fee below a base-fee spike), then stuck past its deadline',
    expected: 'replaced with the same nonce and higher fees, then cancelled with a same-nonce self-transfer; the call never lands twice',
    project: 'devnet',
    file: 'execution/createTxSender.devnet.test.ts',
    tests: ['stuck tx (fee below a base fee spike)', 'stuck past cancelAfterBlocks', 'stuck tx replaced, but the original gets mined'],
  },
  {
    kind: 'test',
    id: 'redeem-reverts',
    group: 'execution',
    fault: 'a redeem that reverts every time',
    expected: 'retried up to its cap, then an alert and the step left for a person',
    project: 'devnet',
    file: 'execution/bridgeRetries.devnet.test.ts',
  },
  {
    kind: 'test',
    id: 'reorg-during-plan',
    group: 'reorg',
    fault: 'finalityDepth 3: a 1-block anvil_reorg of ethereum under the mined bridge tx, 3 blocks of arbitrum under the redeem, 1 under the deposit; a 4-block (finality + 1) reorg of ethereum after the transfer was initiated',
    expected: 'each reorged-out tx re-sent exactly once (the same signed tx), the plan completes, every call once on the canonical chains; past finality no VAA of the orphaned message served, the redeem waits, nothing lands',
    project: 'devnet',
    file: 'execution/reorgDuringPlan.devnet.test.ts',
  },
  {
    kind: 'test',
    id: 'reorg-position-check',
    group: 'reorg',
    fault: 'a block the executor verifies a step at is replaced by anvil_reorg',
    expected: 'the position reads pinned to the orphaned hash are refused (never a read of the other fork)',
    project: 'devnet',
    file: 'execution/readPosition.devnet.test.ts',
  },
  {
    kind: 'test',
    id: 'slippage',
    group: 'execution',
    fault: 'a venue whose preview moves against the pool between decision and execution: a 2 % donation to the vault before the send and after signing, a 2 % vault loss before a withdrawal; a 0.2 % move',
    expected: 'beyond execution.slippageBps the step does not happen (re-preview refuses it, or the SlippageRouter reverts it on chain), nothing moves, the plan stops with an alert naming the step, the previewed and the actual amounts; within it the step goes through at no less than its bound',
    project: 'devnet',
    file: 'execution/slippage.devnet.test.ts',
  },
]

// ── start/stop (item 7): run here, on a network of its own ─────────────────────────────────────

/** The start/stop cases on one network at port `base` (they run in order; the last one starts for real). */
export function startStopCases(base: number): RunCase[] {
  let net: TestNetwork | undefined
  const network = () => (net ??= testNetwork(`faults-${base}`, base))
  return START_STOP_CASES.map((c, i) => ({
    kind: 'run',
    id: c.id,
    group: 'start/stop',
    fault: c.fault,
    expected: c.opts ? START_STOP_EXPECTED : START_AFTER_EXPECTED,
    run: async () => {
      try {
        return c.opts ? await interruptStart(network(), c.opts) : await startThenStop(network())
      } finally {
        if (i === START_STOP_CASES.length - 1) network().remove()
      }
    },
  }))
}

export const STORE_CASES: FaultCase[] = [
  {
    kind: 'test',
    id: 'disk-full',
    group: 'store',
    fault: 'the store’s disk full under a running watcher, executor and governor: a small tmpfs filled (where this machine may mount one), and the store’s page ceiling (PRAGMA max_page_count) filled; then space freed',
    expected: 'every agent stops writing cleanly (no half-written row), logs it once, one alert pushed to Telegram directly; no tx or vote signed without its intent or cast recorded first; the processes keep running and resume by themselves when space returns: every block missed back-filled, each tx and vote once',
    project: 'devnet',
    file: 'scripts/faults/diskFull.devnet.test.ts',
  },
]

// ── the rest of the fault list: no case yet (none left) ────────────────────────────────

export const PLANNED: FaultCaseBase[] = []

/** Every case, in table order. `base`: the port base of the start/stop network. */
export function faultCases(opts: { startStopBase: number }): FaultCase[] {
  return [...KILL_CASES, ...REORG_CASES, ...RPC_CASES, ...LIMIT_CASES, ...LEASE_CASES, ...EXECUTION_CASES, ...STORE_CASES, ...CONFIG_CASES, ...startStopCases(opts.startStopBase)]
}
