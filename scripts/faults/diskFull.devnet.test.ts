/**
 * Fault case `disk-full` (issue 16): the store's disk fills under running agents — a watcher, an
 * executor sending transactions, a governor casting a Snapshot vote — each on the agent runtime
 * with its own store connection, on a real SQLite file on a small tmpfs (or, where mounting is
 * not allowed, under the store's page ceiling: scripts/faults/diskFull.ts says which).
 *
 * Expected: every agent stops writing cleanly (its writes fail, nothing half-written), logs it
 * once, one alert reaches Telegram directly (the outbox is in the full store), nothing is signed
 * that is not recorded first (no executor signature without its intent — a signature whose
 * recording commit the full disk refuses is dropped, never sent — no vote signature without its
 * cast row), the processes keep running, and once space returns every agent resumes by itself:
 * the watcher back-fills every block it could not store, the executor and the governor carry on,
 * each transaction and vote exactly once.
 */
import { appendFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { pino } from 'pino'
import { keccak256, type Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { afterEach, expect, it } from 'vitest'
import { createChainClient } from '../../chains/createChainClient'
import { configSchema, type Config, type ConfigInput } from '../../config/schema'
import { PER_BLOCK_WATCH } from '../../devnet/deploy'
import { startHub, type SnapshotHub } from '../../devnet/snapshot/hub'
import { startBotApi, type BotApiServer } from '../../devnet/telegram/botApi'
import { createTxSender } from '../../execution/createTxSender'
import { castSnapshotVote } from '../../governance/castSnapshot'
import { createAgent, type Agent } from '../../runtime/createAgent'
import { unwritableCode } from '../../store/errors'
import { useDevnet } from '../../test/devnet'
import { createWatcher } from '../../watch/createWatcher'
import { fillableDisk, type FillableDisk } from './diskFull'

const devnet = useDevnet()
const CHAIN = 'ethereum'
const CHAT = 424242
const SPACE = 'upstream-dao.eth'

let disk: FillableDisk | undefined
let bot: BotApiServer | undefined
let hub: SnapshotHub | undefined
const agents: Agent[] = []
let mining = false
afterEach(async () => {
  mining = false
  for (const a of agents.splice(0)) await a.shutdown.shutdown()
  await bot?.close()
  await hub?.close()
  await disk?.cleanup()
  disk = bot = hub = undefined
})

/** Resolves once `cond` holds (the test's timeout is the only bound: no timing is asserted). */
async function until(cond: () => boolean | Promise<boolean>, everyMs = 50): Promise<void> {
  while (!(await cond())) await new Promise((r) => setTimeout(r, everyMs))
}

// Twice: on a real full file system (a tmpfs, where this machine lets us mount one; else the
// fallback, said in the row) and under the store's page ceiling (what CI without root runs).
it.each([
  { how: 'a tmpfs where mounting is allowed', forceFallback: false },
  { how: 'PRAGMA max_page_count', forceFallback: true },
])('the store’s disk full ($how): every agent stops writing cleanly, alerts once, signs nothing unrecorded, resumes with nothing lost', { timeout: 240_000 }, async ({ forceFallback }) => {
  disk = await fillableDisk({ sizeMb: 8, forceFallback })
  bot = await startBotApi()
  bot.addChat({ id: CHAT })
  const clock = Math.floor(Date.now() / 1000)
  hub = await startHub({ dbPath: ':memory:', now: () => Math.floor(Date.now() / 1000) })
  await hub.createSpace({ id: SPACE })
  const voter = privateKeyToAccount(generatePrivateKey())
  const proposal = (await hub.createProposal({ space: SPACE, author: voter.address, title: 'p', start: clock - 100, end: clock + 3600, snapshot: 1, type: 'single-choice', choices: ['yes', 'no'] })).id

  const base = structuredClone(devnet.config) as ConfigInput
  base.watch = { ...base.watch, ...PER_BLOCK_WATCH }
  base.store = { path: disk.path, ...(disk.maxSizeMb ? { maxSizeMb: disk.maxSizeMb } : {}) }
  base.runtime = { ...base.runtime, storeProbeSeconds: 0.2 }
  base.telegram = { enabled: true, mode: 'devnet', apiRoot: bot.url, chats: [{ id: CHAT, name: 'operators', alerts: ['warning', 'critical'] }] }
  const config: Config = configSchema.parse(base)

  // What the agents log, as JSON lines (the "once" is counted here).
  const lines: Array<{ agent?: string; msg?: string; level: number }> = []
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as { agent?: string; msg?: string; level: number }) })
  const start = async (name: string) => {
    const a = await createAgent({ identity: name, config, handleSignals: false, logger })
    agents.push(a)
    return a
  }
  const chainConfig = config.chains.find((c) => c.name === CHAIN)!
  const client = () => createChainClient({ chain: chainConfig, timeoutMs: 5_000 })

  // A block every 200 ms on the watched chain, for the whole test (so blocks pass while the disk is full).
  mining = true
  const miner = (async () => {
    while (mining) {
      await devnet.mine(CHAIN, 1)
      await new Promise((r) => setTimeout(r, 200))
    }
  })()

  // ── the agents, each on its own store connection ────────────────────────────────────────
  const watcherAgent = await start('watcher-ethereum')
  const watcher = createWatcher({ common: watcherAgent.common, store: watcherAgent.store, chain: client(), agent: watcherAgent.name, storeWritable: watcherAgent.storeWritable })
  const watching = watcher.run(watcherAgent.signal)

  const executor = await start('executor')
  const poolKey = privateKeyToAccount(devnet.poolKey)
  // Every tx the executor's key signs, by hash (the hash of a signed tx is keccak256 of its bytes).
  const signedHashes: Hex[] = []
  let txSignatures = 0
  const execAccount = {
    ...poolKey,
    signTransaction: (async (...a: Parameters<typeof poolKey.signTransaction>) => {
      txSignatures++
      const raw = await poolKey.signTransaction(...a)
      signedHashes.push(keccak256(raw))
      return raw
    }) as typeof poolKey.signTransaction,
  }
  const sender = createTxSender({ common: executor.common, store: executor.store, chain: client(), account: execAccount, options: { pollIntervalMs: 20 } })
  const to = devnet.accounts.deployer.address
  let round = 0
  const keysTried: string[] = []
  const executing = executor.loop({
    everyMs: 100,
    round: async () => {
      const key = `disk-full:${++round}`
      keysTried.push(key)
      return (await sender.send({ key, to, data: '0x', value: 1n })).status
    },
  })

  const governor = await start('governor')
  let voteSignatures = 0
  const govAccount = { ...voter, signTypedData: ((...a: Parameters<typeof voter.signTypedData>) => (voteSignatures++, voter.signTypedData(...a))) as typeof voter.signTypedData }
  await governor.store.governance.upsertProposal({ key: 'k', source: 'snapshot', space: SPACE, chain: null, governor: null, upstreamId: proposal, type: 'single-choice', title: 'p', choices: ['yes', 'no'], start: clock - 100, end: clock + 3600, snapshot: '1', snapshotTime: null })
  const cast = () => castSnapshotVote({ governance: governor.store.governance, sequencerUrl: hub!.url, account: govAccount, key: 'k:snapshot:0', proposalKey: 'k', vote: { space: SPACE, proposal, type: 'single-choice', choice: 1 } })

  // ── before: everything writes ───────────────────────────────────────────────────────────
  const store = watcherAgent.store
  await until(async () => ((await store.cursors.get(CHAIN))?.blockNumber ?? 0n) > 0n && (await executor.store.intents.get('disk-full:2'))?.status === 'confirmed')
  const cursorBefore = (await store.cursors.get(CHAIN))!.blockNumber

  // ── the disk fills ───────────────────────────────────────────────────────────────────────
  const filled = await disk.fill()
  // The governor's next cast records its row first: that write fails, so nothing is signed or posted.
  // (Under a page ceiling a small row may still fit in a page already there: then it is recorded
  // first and signed after — the order holds either way; a full file system refuses it.)
  const castErr = await cast().then(() => undefined, (e: unknown) => e)
  const govStopped = castErr !== undefined
  if (govStopped) {
    expect(unwritableCode(castErr)).toBeDefined()
    expect(voteSignatures).toBe(0)
    expect(await hub.listVotes(proposal)).toEqual([])
  } else {
    expect(disk.mechanism).toBe('max_page_count')
    expect((await governor.store.governance.getCast('k:snapshot:0'))?.status).toBe('accepted')
  }
  await until(() => !watcherAgent.storeWritable() && !executor.storeWritable() && (!govStopped || !governor.storeWritable()))
  // The executor: a send whose intent cannot be recorded signs nothing.
  const signedAtFull = txSignatures
  const directErr = await sender.send({ key: 'disk-full:direct', to, data: '0x', value: 1n }).then(() => undefined, (e: unknown) => e)
  if (directErr !== undefined || disk.mechanism === 'tmpfs') {
    expect(unwritableCode(directErr)).toBeDefined()
    expect(txSignatures).toBe(signedAtFull)
  }
  const signedStopped = txSignatures
  // Blocks go on while the store is full: the watcher stores none of them, the executor signs nothing.
  const cursorFull = (await store.cursors.get(CHAIN))!.blockNumber
  const headAtFull = await devnet.chain(CHAIN).public.getBlockNumber({ cacheTime: 0 })
  await until(async () => (await devnet.chain(CHAIN).public.getBlockNumber({ cacheTime: 0 })) >= headAtFull + 10n)
  expect((await store.cursors.get(CHAIN))!.blockNumber).toBe(cursorFull)
  expect(txSignatures).toBe(signedStopped) // the stopped executor signed nothing while blocks went by
  // One alert, pushed to Telegram directly by one of the three agents.
  await bot.waitFor(() => bot!.sent(CHAT).length > 0, 30_000)
  expect(bot.sent(CHAT).map((m) => m.text)).toEqual([expect.stringMatching(/^poolwarden: the store cannot take writes \((SQLITE_FULL|SQLITE_IOERR)/)])

  // ── space returns ───────────────────────────────────────────────────────────────────────
  await disk.free()
  await until(() => watcherAgent.storeWritable() && executor.storeWritable() && governor.storeWritable())
  const headAtFree = await devnet.chain(CHAIN).public.getBlockNumber({ cacheTime: 0 })
  await until(async () => ((await store.cursors.get(CHAIN))?.blockNumber ?? 0n) >= headAtFree + 3n)
  const roundsAtFree = round
  await until(async () => round > roundsAtFree + 2 && (await executor.store.intents.get(`disk-full:${round - 1}`))?.status === 'confirmed')
  const voted = await cast()
  mining = false
  await miner

  // The watcher back-filled every block it could not store.
  const cursorAfter = (await store.cursors.get(CHAIN))!.blockNumber
  expect(cursorAfter).toBeGreaterThan(headAtFull + 10n)
  expect(await store.samples.missingBlocks(CHAIN, cursorBefore, cursorAfter)).toEqual([])
  // Exactly once: every executor signature belongs to a recorded intent, every intent's tx on chain once.
  const intents = (await Promise.all(keysTried.map((k) => executor.store.intents.get(k)))).filter((i) => i !== undefined)
  // The direct send, if refused, left no intent.
  if (directErr !== undefined) expect(await executor.store.intents.get('disk-full:direct')).toBeUndefined()
  else intents.push((await executor.store.intents.get('disk-full:direct'))!)
  expect(intents.length).toBeLessThan(keysTried.length) // the round that hit the full disk has no intent: it was never signed
  // A tx is signed inside the store transaction that records it (intents.sign): when the disk
  // fills between the signature and that transaction's COMMIT, the commit fails and the signed
  // bytes are dropped with it — at most one such signature (the agents stop signing once the store
  // says it is full), and it never leaves the process: the node has never seen it. Every other
  // signature is a recorded attempt.
  const recorded = new Set((await Promise.all(intents.map((i) => executor.store.intents.attempts(i.key)))).flat().map((a) => a.txHash.toLowerCase()))
  expect(recorded.size).toBe(intents.reduce((s, i) => s + i.attempts, 0))
  const dropped = signedHashes.filter((h) => !recorded.has(h.toLowerCase()))
  expect(dropped.length).toBeLessThanOrEqual(1)
  expect(txSignatures).toBe(recorded.size + dropped.length)
  for (const h of dropped) expect(await devnet.chain(CHAIN).public.request({ method: 'eth_getTransactionByHash', params: [h] })).toBeNull()
  const confirmed = intents.filter((i) => i.status === 'confirmed')
  expect(new Set(confirmed.map((i) => i.nonce)).size).toBe(confirmed.length)
  // The vote: signed once, after its row was recorded, and landed once.
  expect(voteSignatures).toBe(1)
  expect((await hub.listVotes(proposal)).map((v) => v.id)).toEqual([voted.id])
  // Each agent logged the episode once, and its end once; the episode is on record in the store.
  const said = (agent: string, re: RegExp) => lines.filter((l) => l.agent === agent && re.test(l.msg ?? '')).length
  const stopped = govStopped ? ['executor', 'governor', 'watcher-ethereum'] : ['executor', 'watcher-ethereum']
  for (const a of stopped) {
    expect(said(a, /^store cannot take writes/)).toBe(1)
    expect(said(a, /^store takes writes again/)).toBe(1)
  }
  const audit = await store.audit.recent(10, { action: 'store.unwritable' })
  expect(audit.map((e) => e.actor).sort()).toEqual(stopped)
  expect(bot.sent(CHAT)).toHaveLength(1)
  expect(await store.alerts.isOpen('store-full')).toBe(false)

  for (const a of agents) a.shutdown.shutdown()
  await Promise.all([watching, executing])

  // For `npm run faults`: the row says which mechanism was used.
  const notes = process.env.POOLWARDEN_FAULT_NOTES
  if (notes) {
    mkdirSync(notes, { recursive: true })
    appendFileSync(
      join(notes, 'disk-full.txt'),
      `${disk.mechanism} (${disk.why}; filler ${(filled / 1024 / 1024).toFixed(1)} MB): ${stopped.length} agents stopped, 1 Telegram push, ${txSignatures} tx signatures = ${recorded.size} recorded attempts + ${dropped.length} dropped with a failed commit (never sent), vote signed once; blocks ${cursorFull + 1n}..${headAtFree} back-filled\n`,
    )
  }
})
