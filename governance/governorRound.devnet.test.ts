import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeFunctionData, keccak256, toHex, type Address, type PublicClient } from 'viem'
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { configSchema, type Config, type ConfigInput } from '../config/schema'
import { devAccount } from '../devnet/accounts'
import { poolShareAbi } from '../devnet/abis'
import { startHub, type SnapshotHub } from '../devnet/snapshot/hub'
import { chainClient, sender, silentLogger, testConfig } from '../execution/testing/devnetHelpers'
import type { Store } from '../store'
import { openTempStore } from '../store/testing'
import { useDevnet } from '../test/devnet'
import { apportion } from './apportion'
import { topUp } from './fractional'
import { createGovernorRound, governorKey, snapshotKey, type GovernorRoundDeps } from './governorRound'
import { governorAbi } from './onchain/abi'
import { receiptHash, recomputeFromReceipt, type Receipt } from './receipt'
import { verifyReceipt } from './verifyReceipt'
import { createSnapshotClient, type SnapshotClient } from './snapshotClient'
import type { VotingType } from './types'
import { SNAPSHOT_DOMAIN, verifyVoteEnvelope, voteKindFor, voteTypesFor, type VoteEnvelope } from './verify'
import { rpc, txsFrom } from '../execution/testing/devnetHelpers'
import type { TxPoint } from '../execution/createTxSender'

const devnet = useDevnet()
const UPSTREAM = 'upstream-dao.eth'
const SIGNALS = 'poolwarden-signals.eth'
const dao = devnet.deployment.chains.ethereum!.dao!
// The governor's own voting key (dev #10): the pool delegates its DAO votes to it; it administers the signalling space.
const pool = devnet.accounts.voter
const [d2, d3, d4, d5] = devnet.accounts.delegators as [PrivateKeyAccount, PrivateKeyAccount, PrivateKeyAccount, PrivateKeyAccount]
const e18 = 10n ** 18n
/** Pool shares of a holder at deployment, summed over every chain. */
const sharesOf = (a: string) => Object.values(devnet.deployment.chains).reduce((s, c) => s + BigInt(c.shareHolders[a as Address] ?? 0), 0n)
const W = { d2: sharesOf(d2.address), d3: sharesOf(d3.address), d4: sharesOf(d4.address), d5: sharesOf(d5.address) }
const TOTAL = [...new Set(Object.values(devnet.deployment.chains).flatMap((c) => Object.keys(c.shareHolders)))].reduce((s, a) => s + sharesOf(a), 0n)
/** The EIP-1271 wallet delegator (a contract holding pool shares; its owner signs for it). */
const wallet = devnet.deployment.contractDelegators![0]!
const walletOwner = devAccount(8)
const WW = sharesOf(wallet.address)
const POOL_DAO_WEIGHT = BigInt(dao.holders[devnet.accounts.pool.address]!)

let clock: number
let hub: SnapshotHub
let store: Store
let cleanupStore: () => Promise<void>
let dir: string
let config: Config
let hubClient: SnapshotClient

beforeEach(async () => {
  clock = Math.floor(Date.now() / 1000)
  dir = await mkdtemp(join(tmpdir(), 'gov-round-'))
  ;({ store, cleanup: cleanupStore } = await openTempStore())
  const eth = devnet.chain('ethereum').public
  hub = await startHub({
    dbPath: join(dir, 'hub.sqlite'),
    now: () => clock,
    blockNumber: async () => Number(await eth.getBlockNumber({ cacheTime: 0 })),
  })
  await hub.createSpace({ id: UPSTREAM, network: '31337', symbol: 'simDAO' })
  await hub.createSpace({ id: SIGNALS, network: '31337', symbol: 'pwSHARE', admins: [pool.address], onlyMembers: true })
  const base = structuredClone(testConfig(devnet)) as ConfigInput
  base.governance = {
    snapshot: { graphqlUrl: hub.graphqlUrl, sequencerUrl: hub.url, ipfsUrl: `${hub.url}/ipfs/` },
    upstream: { spaces: [UPSTREAM], governors: [{ chain: 'ethereum', address: dao.governor }] },
    signalling: { space: SIGNALS, chain: 'ethereum' },
    policy: { mirrorBufferSeconds: 1800, castWindowSeconds: 3600, silentDelegators: 'not-cast', signalQuorumBps: 0 },
  }
  config = configSchema.parse(base)
  hubClient = createSnapshotClient({ graphqlUrl: hub.graphqlUrl, backoffMs: () => 10, rateLimit: { requests: 10_000, windowMs: 1_000 } })
})

afterEach(async () => {
  await hub.close()
  await cleanupStore()
  await rm(dir, { recursive: true, force: true })
})

function roundOf(over: Partial<GovernorRoundDeps> = {}) {
  const clients: Record<string, PublicClient> = Object.fromEntries(devnet.allChains().map((c) => [c.name, c.public]))
  return createGovernorRound({
    config,
    store,
    logger: silentLogger,
    hub: hubClient,
    account: pool,
    clients,
    senders: { ethereum: sender(devnet, config, store, chainClient(config, 'ethereum'), { agent: 'governor' }, devnet.voterKey) },
    now: () => clock,
    ...over,
  })
}

/** A signed Snapshot vote envelope, as snapshot.js Client712.vote makes it. */
async function signVote(account: PrivateKeyAccount, v: { space: string; proposal: string; type: VotingType; choice: unknown; timestamp?: number }): Promise<VoteEnvelope> {
  const kind = voteKindFor(v.type)
  const message = {
    from: account.address,
    space: v.space,
    timestamp: v.timestamp ?? clock,
    proposal: v.proposal,
    choice: kind === 'vote-string' ? JSON.stringify(v.choice) : v.choice,
    reason: '',
    app: 'test',
    metadata: '{}',
  }
  const types = voteTypesFor(kind)
  const sig = await account.signTypedData({ domain: SNAPSHOT_DOMAIN, types, primaryType: 'Vote', message: message as never })
  return { address: account.address, sig, data: { domain: { ...SNAPSHOT_DOMAIN }, types, message } }
}

async function post(env: unknown): Promise<{ status: number; body: { id?: string; error_description?: string } }> {
  const res = await fetch(hub.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(env) })
  return { status: res.status, body: (await res.json()) as { id?: string; error_description?: string } }
}

/** The wallet's signal: its owner signs the Vote of the wallet's address; stored by the hub as given. */
async function walletSignal(proposal: string, type: VotingType, choice: unknown) {
  const kind = voteKindFor(type)
  const message = { from: wallet.address, space: SIGNALS, timestamp: clock, proposal, choice: kind === 'vote-string' ? JSON.stringify(choice) : choice, reason: '', app: 'test', metadata: '{}' }
  const types = voteTypesFor(kind)
  const sig = await walletOwner.signTypedData({ domain: SNAPSHOT_DOMAIN, types, primaryType: 'Vote', message: message as never })
  await hub.injectVote({ voter: wallet.address, proposal, choice, created: clock, sig, app: 'test', envelope: { address: wallet.address, sig, data: { domain: SNAPSHOT_DOMAIN, types, message } } })
}

/** A delegator signals through the sequencer (must be accepted). */
async function signal(account: PrivateKeyAccount, proposal: string, type: VotingType, choice: unknown, timestamp = clock) {
  const r = await post(await signVote(account, { space: SIGNALS, proposal, type, choice, timestamp }))
  expect(r, JSON.stringify(r.body)).toMatchObject({ status: 200 })
  return r.body.id!
}

async function upstreamProposal(type: VotingType, choices: string[], over: { end?: number } = {}) {
  const head = await devnet.chain('ethereum').public.getBlockNumber({ cacheTime: 0 })
  await devnet.mine('ethereum', 1)
  return hub.createProposal({
    space: UPSTREAM,
    author: devAccount(6).address,
    title: `Upstream ${type}`,
    choices,
    type,
    start: clock - 60,
    end: over.end ?? clock + 7200,
    snapshot: Number(head),
  })
}

/** Runs a script with tsx; resolves with its exit code and stdout. */
function cli(script: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', script, ...args], { env: { ...process.env, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out: stdout, err: stderr })
    })
  })
}

const receiptOf = async (key: string) => (await store.governance.latestTally(key))!.receipt as Receipt

describe('governor round: Snapshot upstream (devnet chains + local hub)', () => {
  it('mirrors, refuses and counts bad signals, weighs from chain reads across chains, casts the split, re-casts on signal change', async () => {
    const up = await upstreamProposal('weighted', ['A', 'B', 'C'])
    const key = snapshotKey(UPSTREAM, up.id)
    // Shares minted after the snapshot never count: #5 gets 1000 more on arbitrum later.
    const round = roundOf()

    // ── round 1: discovered and mirrored; no signals yet; not in the cast window ──
    const r1 = await round()
    expect(r1.errors).toEqual([])
    expect(r1.discovered).toEqual([key])
    expect(r1.mirrored).toEqual([key])
    const p = (await store.governance.getProposal(key))!
    expect(p).toMatchObject({ status: 'mirrored', signalStart: clock, signalEnd: up.end - 1800 })
    const mirror = (await hub.getProposal(p.signalId!))!
    expect(mirror).toMatchObject({ space: SIGNALS, type: 'weighted', choices: ['A', 'B', 'C'], end: up.end - 1800, author: pool.address })
    expect(mirror.body).toContain(`poolwarden-mirror: ${key}`)
    expect(r1.cast).toEqual([])
    // Idempotent: a second round mirrors nothing new.
    expect((await round()).mirrored).toEqual([])

    const arb = devnet.chain('arbitrum')
    const head = await arb.public.getBlock({ blockTag: 'latest' })
    const snapTime = (await devnet.chain('ethereum').public.getBlock({ blockNumber: BigInt(up.snapshot) })).timestamp
    await arb.test.setNextBlockTimestamp({ timestamp: (head.timestamp > snapTime ? head.timestamp : snapTime) + 100n })
    const mint = await arb.wallet(devnet.accounts.deployer).writeContract({ address: devnet.deployment.chains.arbitrum!.poolShare, abi: poolShareAbi, functionName: 'mint', args: [d5.address, 1000n * e18] })
    await arb.public.waitForTransactionReceipt({ hash: mint, pollingInterval: 20 })

    // ── signals: good ones through the sequencer, bad ones injected ──
    const sid = p.signalId!
    const older = await signVote(d2, { space: SIGNALS, proposal: sid, type: 'weighted', choice: { 2: 1 }, timestamp: clock })
    expect((await post(older)).status).toBe(200)
    const olderRow = (await hub.listVotes(sid))[0]!
    clock += 5
    await signal(d2, sid, 'weighted', { 1: 1 }) // revote: the earlier one is a duplicate
    await signal(d3, sid, 'weighted', { 1: 1, 2: 1 })
    await signal(d4, sid, 'weighted', { 3: 1 })
    await walletSignal(sid, 'weighted', { 2: 1 }) // EIP-1271
    // forged: #5's vote signed by another key
    const mallory = privateKeyToAccount(generatePrivateKey())
    const forged = await signVote(mallory, { space: SIGNALS, proposal: sid, type: 'weighted', choice: { 2: 1 } })
    await hub.injectVote({ voter: d5.address, proposal: sid, choice: { 2: 1 }, created: clock, sig: forged.sig, app: 'test' })
    // tampered: #6 signed {1:1}; the stored message says {2:1}
    const six = devAccount(6)
    const t = await signVote(six, { space: SIGNALS, proposal: sid, type: 'weighted', choice: { 1: 1 } })
    const tampered = { ...t, data: { ...t.data, message: { ...t.data.message, choice: JSON.stringify({ 2: 1 }) } } }
    await hub.injectVote({ voter: six.address, proposal: sid, choice: { 2: 1 }, created: clock, sig: t.sig, app: 'test', envelope: tampered })
    // out of window: validly signed after the signalling end
    const seven = devAccount(7)
    const late = await signVote(seven, { space: SIGNALS, proposal: sid, type: 'weighted', choice: { 1: 1 }, timestamp: p.signalEnd! + 5 })
    await hub.injectVote({ voter: seven.address, proposal: sid, choice: { 1: 1 }, created: p.signalEnd! + 5, sig: late.sig, app: 'test', envelope: late })
    // invalid choice for the type: validly signed
    const eight = devAccount(8)
    const bad = await signVote(eight, { space: SIGNALS, proposal: sid, type: 'weighted', choice: { 9: 1 } })
    await hub.injectVote({ voter: eight.address, proposal: sid, choice: { 9: 1 }, created: clock, sig: bad.sig, app: 'test', envelope: bad })
    // zero weight: a valid vote by an account without pool shares (the hub's vp says 1)
    const nobody = privateKeyToAccount(generatePrivateKey())
    await post(await signVote(nobody, { space: SIGNALS, proposal: sid, type: 'weighted', choice: { 2: 1 } }))
    // The hub also serves (fault hook) the superseded duplicate and a malformed row beside the real rows.
    const rows = await hub.listVotes(sid)
    const asGql = (v: typeof olderRow) => ({ id: v.id, voter: v.voter, choice: v.choice, vp: v.vp, created: v.created, reason: v.reason, ipfs: v.ipfs, app: v.app })
    hub.setFault(({ path, body }) =>
      path === '/graphql' && String((body as { query?: string }).query).includes('votes(')
        ? { status: 200, body: { data: { votes: [asGql(olderRow), ...rows.map(asGql), { id: 'garbage', voter: 'not-an-address', created: 'yesterday' }] } } }
        : undefined,
    )

    // ── round 2: still before the cast window: tallied, nothing cast ──
    const r2 = await round()
    expect(r2.errors).toEqual([])
    expect(r2.cast).toEqual([])
    const receipt = await receiptOf(key)
    const statusOf = (voter: string) => receipt.signals.filter((s) => s.voter.toLowerCase() === voter.toLowerCase()).map((s) => s.status).sort()
    expect(statusOf(d2.address)).toEqual(['counted', 'superseded'])
    expect(statusOf(d3.address)).toEqual(['counted'])
    expect(statusOf(d4.address)).toEqual(['counted'])
    expect(statusOf(d5.address)).toEqual(['invalid-signature'])
    expect(statusOf(six.address)).toEqual(['invalid-signature'])
    expect(statusOf(seven.address)).toEqual(['outside-window'])
    expect(statusOf(eight.address)).toEqual(['invalid-choice'])
    expect(statusOf(nobody.address)).toEqual(['zero-weight'])
    expect(receipt.signals.find((s) => s.voter === wallet.address)).toMatchObject({ status: 'counted', sigCheck: { ok: true, method: 'eip1271' } })
    expect(receipt.signals.find((s) => s.id === 'garbage')).toMatchObject({ status: 'invalid-signature', sigCheck: { ok: false, error: expect.stringMatching(/^malformed hub vote/) } })
    // weights: pool shares at the snapshot, summed over every chain (the later mint is not in)
    const w = Object.fromEntries(receipt.delegators.map((d) => [d.address.toLowerCase(), d]))
    expect(w[d2.address.toLowerCase()]!.weightByChain).toEqual({ ethereum: (400n * e18).toString(), base: (100n * e18).toString() })
    expect(w[d5.address.toLowerCase()]!.weight).toBe(W.d5.toString())
    expect(receipt.result.totalWeight).toBe(TOTAL.toString())
    const scores = [W.d2 + W.d3 / 2n, W.d3 / 2n + WW, W.d4]
    expect(receipt.result.scores).toEqual(scores.map(String))
    expect(recomputeFromReceipt(receipt).ok).toBe(true)
    const stored = await store.governance.listSignals(key)
    expect(stored.filter((s) => s.status !== 'counted' && s.status !== 'superseded').every((s) => s.refusal)).toBe(true)
    hub.setFault(undefined)

    // ── round 3: in the cast window: the pool's vote lands upstream with the split ──
    clock = up.end - 3000
    const r3 = await round()
    expect(r3.errors).toEqual([])
    expect(r3.cast).toHaveLength(1)
    const poolVotes = () => hub.listVotes(up.id).then((vs) => vs.filter((v) => v.voter === pool.address))
    const props = (xs: bigint[]) => Object.fromEntries(apportion(1_000_000n, xs).flatMap((v, i) => (v > 0n ? [[String(i + 1), Number(v)]] : [])))
    expect((await poolVotes()).map((v) => v.choice)).toEqual([props(scores)])
    expect((await store.alerts.undelivered()).map((a) => a.dedupKey)).toEqual(
      expect.arrayContaining([`gov:new:${key}`, `gov:remind2h:${key}`, `gov:cast:${key}:snapshot:0`]),
    )
    // nothing moved: no second vote
    expect((await round()).cast).toEqual([])

    // ── signals move: #4 changes its mind; the pool re-casts with a later timestamp ──
    clock += 10
    await signal(d4, sid, 'weighted', { 2: 1 })
    const r4 = await round()
    expect(r4.errors).toEqual([])
    expect(r4.cast.map((c) => c.castKey)).toEqual([`${key}:snapshot:1`])
    const after = await poolVotes()
    expect(after.map((v) => v.choice)).toEqual([props([scores[0]!, scores[1]! + W.d4, 0n])])
    const casts = await store.governance.listCasts(key, 'snapshot')
    expect(casts.map((c) => c.status)).toEqual(['accepted', 'accepted'])
    expect((casts[1]!.payload as { timestamp: number }).timestamp).toBeGreaterThan((casts[0]!.payload as { timestamp: number }).timestamp)
    expect(await store.governance.wasNotified(`gov:changed:${key}:snapshot:1`)).toBe(true)

    // ── npm run tally prints the receipt and exports it; npm run recompute confirms it from the JSON alone ──
    const cfgPath = join(dir, 'config.json')
    await writeFile(cfgPath, JSON.stringify({ ...config, store: { path: store.path } }))
    const json = join(dir, 'receipt.json')
    const printed = await cli('scripts/tally.ts', [up.id, '--json', json], { POOLWARDEN_CONFIG: cfgPath })
    expect(printed.code).toBe(0)
    expect(printed.out).toContain(`Snapshot vote: ${UPSTREAM} ${up.id}`)
    expect(printed.out).toMatch(/ok \(eip1271\)/)
    expect(printed.out).toMatch(/outside-window 1/)
    expect(printed.out).toContain(`${key}:snapshot:1`)
    const rpcArgs = devnet.chains.flatMap((c) => ['--rpc', `${c.name}=${c.url}`])
    const ok = await cli('scripts/recompute.ts', [json, ...rpcArgs])
    expect(ok.out).toMatch(/checked: arithmetic, hash, \d+ EOA and 1 EIP-1271 signatures, weights on ethereum, arbitrum, base/)
    expect(ok).toMatchObject({ code: 0, out: expect.stringContaining('\nMATCH') })
    // Offline: nothing differs, but the EIP-1271 signature and the weights are not checked.
    const offline = await cli('scripts/recompute.ts', [json])
    expect(offline.code).toBe(3)
    expect(offline.out).toMatch(/INCOMPLETE[\s\S]*EIP-1271 signature[\s\S]*weights on arbitrum: pass --rpc arbitrum=<url>/)
    // An edited weight no longer gives the receipt's vote.
    const edited = JSON.parse(await readFile(json, 'utf8')) as Receipt
    edited.delegators.find((d) => d.address === d2.address)!.weightByChain.ethereum = '1'
    expect(recomputeFromReceipt(edited).mismatches.join('\n')).toMatch(/result\.snapshotVote\.choice/)

    // ── tampered receipts, each with its scores and hash fixed up to agree with the edit ──
    const original = JSON.parse(await readFile(json, 'utf8')) as Receipt
    const fixedUp = (r: Receipt): Receipt => {
      const { hash: _h, ...out } = recomputeFromReceipt({ ...r, hash: undefined }).recomputed
      return JSON.parse(JSON.stringify({ ...out, hash: receiptHash(out) })) as Receipt
    }
    // The CLI once (the choice case); the other cases through the same function in-process (a tsx start per case is slow).
    const rpcClients = Object.fromEntries(devnet.allChains().map((c) => [c.name, c.public]))
    const check = async (name: string, r: Receipt, args: string[] = rpcArgs) => {
      if (name === 'choice') {
        const file = join(dir, `${name}.json`)
        await writeFile(file, JSON.stringify(r, null, 2))
        return cli('scripts/recompute.ts', [file, ...args])
      }
      const hashArg = args.indexOf('--hash')
      const v = await verifyReceipt(r, { ...(args.includes('--rpc') ? { clients: rpcClients } : {}), ...(hashArg >= 0 ? { expectedHash: args[hashArg + 1]! } : {}) })
      return { code: v.verdict === 'MISMATCH' ? 1 : v.verdict === 'INCOMPLETE' ? 3 : 0, out: v.mismatches.join('\n') }
    }
    // (1) a counted signal's choice changed (d4 signed {2:1}; the receipt now says {3:1}).
    const changed = structuredClone(original)
    const d4i = changed.signals.findIndex((s) => s.voter === d4.address && s.status === 'counted')
    changed.signals[d4i]!.choice = { 3: 1 }
    const c1 = fixedUp(changed)
    expect(c1.result.scores).not.toEqual(original.result.scores) // the scores agree with the edit
    expect(recomputeFromReceipt(c1).ok).toBe(true) // the arithmetic alone cannot tell
    const t1 = await check('choice', c1)
    expect(t1.code).toBe(1)
    expect(t1.out).toContain(`signals[${d4i}] (${d4.address}).choice: receipt says {"3":1}, the signed message says {"2":1}`)
    // (2) a signature replaced by 0x1111… (in the signal and its signed message).
    const forgedSig = structuredClone(original)
    const d3i = forgedSig.signals.findIndex((s) => s.voter === d3.address)
    const ones = `0x${'11'.repeat(65)}`
    forgedSig.signals[d3i]!.sig = ones
    forgedSig.signals[d3i]!.envelope!.sig = ones
    const t2 = await check('signature', fixedUp(forgedSig))
    expect(t2.code).toBe(1)
    expect(t2.out).toContain(`signals[${d3i}] (${d3.address}).signature: the receipt says it checked (eoa), but it does not verify`)
    // The wallet's EIP-1271 signature replaced: caught on the signalling chain.
    const walletSig = structuredClone(original)
    const wi = walletSig.signals.findIndex((s) => s.voter === wallet.address)
    walletSig.signals[wi]!.sig = ones
    walletSig.signals[wi]!.envelope!.sig = ones
    const t2b = await check('wallet', fixedUp(walletSig))
    expect(t2b.code).toBe(1)
    expect(t2b.out).toContain(`signals[${wi}] (${wallet.address}).signature: the receipt says it checked (eip1271), but it does not verify`)
    // (3) the snapshot block changed (number and hash of the block before): named from the chain reads.
    const moved = structuredClone(original)
    const arbRec = moved.snapshot!.chains.arbitrum!
    const prevBlock = await devnet.chain('arbitrum').public.getBlock({ blockNumber: BigInt(arbRec.block!) - 1n })
    arbRec.block = prevBlock.number.toString()
    arbRec.hash = prevBlock.hash
    const t3 = await check('block', fixedUp(moved))
    expect(t3.code).toBe(1)
    expect(t3.out).toContain(`snapshot.chains.arbitrum.block: receipt says ${prevBlock.number}, the chain's last block at or before the snapshot time ${original.snapshot!.time} is ${BigInt(original.snapshot!.chains.arbitrum!.block!)}`)
    // Offline, the changed block still shows against the hash the pool published (npm run tally prints it).
    const published = (await store.governance.latestTally(key))!.hash
    expect(printed.out).toContain(published)
    const t3b = await check('block-offline', fixedUp(moved), ['--hash', published])
    expect(t3b.code).toBe(1)
    expect(t3b.out).toContain(`hash: receipt says ${receiptHash(fixedUp(moved))}, expected ${published}`)
    // An edit without fixing the hash up is named too.
    const naive = structuredClone(original)
    naive.signals[d4i]!.choice = { 3: 1 }
    expect((await check('naive', naive)).out).toMatch(/hash: receipt says 0x[0-9a-f]{64}, its content hashes to 0x[0-9a-f]{64}/)
  }, 480_000)

  it('a restarted governor rebuilds from its latest receipt: 0 signatures verified again, the same receipt; a new signal is verified; a receipt not matching its hash is not trusted', async () => {
    const up = await upstreamProposal('basic', ['For', 'Against', 'Abstain'])
    const key = snapshotKey(UPSTREAM, up.id)
    const first = roundOf()
    expect((await first()).mirrored).toEqual([key])
    const sid = (await store.governance.getProposal(key))!.signalId!
    await signal(d2, sid, 'basic', 1)
    await signal(d3, sid, 'basic', 2)
    await walletSignal(sid, 'basic', 1) // EIP-1271: recovered (fails), then isValidSignature
    const r1 = await first()
    expect(r1.errors).toEqual([])
    expect(r1.verified).toBe(3)
    const stored = (await store.governance.latestTally(key))!
    expect((stored.receipt as Receipt).signals.map((s) => s.sigCheck.method).sort()).toEqual(['eip1271', 'eoa', 'eoa'])
    // The same process: nothing new, nothing verified.
    expect((await first()).verified).toBe(0)

    // "Restart": a new round over the same store and hub, no memory of the first.
    const restarted = roundOf()
    const r2 = await restarted()
    expect(r2.errors).toEqual([])
    expect(r2).toMatchObject({ verified: 0, restored: 3 })
    // The receipt rebuilt from the restored signals is byte for byte the stored one: no new tally.
    expect(r2.tallied).toEqual([{ key, status: stored.status, tallyId: stored.id, changed: false }])
    expect((await store.governance.latestTally(key))!.id).toBe(stored.id)

    // A new signal after the restart: only it is verified, and it counts.
    clock += 5
    await signal(d4, sid, 'basic', 3)
    const r3 = await restarted()
    expect(r3).toMatchObject({ verified: 1, restored: 0 })
    const after = await receiptOf(key)
    // (The hub's order of signals made in the same second is not fixed: compared by voter.)
    const byVoter = (a: string[], b: string[]) => a[0]!.localeCompare(b[0]!)
    expect(after.signals.map((s) => [s.voter, s.status]).sort(byVoter)).toEqual(
      [
        [d2.address, 'counted'],
        [d3.address, 'counted'],
        [wallet.address, 'counted'],
        [d4.address, 'counted'],
      ].sort(byVoter),
    )
    expect(after.result.scores).toEqual([(W.d2 + WW).toString(), W.d3.toString(), W.d4.toString()])

    // A latest receipt that does not match its stored hash (a changed choice): not trusted — a
    // restarted governor collects and verifies every signal again.
    const latest = (await store.governance.latestTally(key))!
    const forged = structuredClone(latest.receipt) as Receipt
    // (Another choice than the signal's own: which signal is first is the hub's order, not fixed.)
    forged.signals[0]!.choice = forged.signals[0]!.choice === 2 ? 1 : 2
    await store.governance.addTally({ proposalKey: key, status: latest.status, receipt: forged, hash: latest.hash })
    const r4 = await roundOf()()
    expect(r4).toMatchObject({ verified: 4, restored: 0 })
    expect(r4.errors).toEqual([])
  })

  it('killed after signing: the same signed payload is resubmitted, never a second different vote', async () => {
    const up = await upstreamProposal('single-choice', ['Yes', 'No'], { end: clock + 3000 })
    const key = snapshotKey(UPSTREAM, up.id)
    await roundOf()()
    const sid = (await store.governance.getProposal(key))!.signalId!
    await signal(d2, sid, 'single-choice', 1)
    let kills = 0
    const dying = roundOf({ hooks: { afterSnapshotSign: () => { kills++; throw new Error('killed after sign') } } })
    const r1 = await dying()
    expect(kills).toBe(1)
    expect(r1.errors.map((e) => e.error)).toEqual([expect.stringContaining('killed after sign')])
    const [cast] = await store.governance.listCasts(key, 'snapshot')
    expect(cast).toMatchObject({ status: 'signed' })
    expect(await hub.listVotes(up.id)).toEqual([])
    // The post had reached the hub before the process died (the answer was lost).
    expect((await post(cast!.envelope)).status).toBe(200)
    // Signals move meanwhile: the restarted agent still finishes the stored cast first.
    clock += 5
    await signal(d3, sid, 'single-choice', 2)
    await signal(d4, sid, 'single-choice', 2)
    const r2 = await roundOf()()
    expect(r2.errors).toEqual([])
    expect(r2.cast[0]).toMatchObject({ castKey: `${key}:snapshot:0`, result: expect.stringContaining('duplicate') })
    const votes = await hub.listVotes(up.id)
    expect(votes).toHaveLength(1)
    expect(votes[0]!.sig).toBe((cast!.envelope as VoteEnvelope).sig)
    const again = await store.governance.getCast(`${key}:snapshot:0`)
    expect(again).toMatchObject({ status: 'accepted', envelope: cast!.envelope })
    // Next round: the moved signals are a re-cast (a new, later vote), not a second vote of the old cast.
    const r3 = await roundOf()()
    expect(r3.cast.map((c) => c.castKey)).toEqual([`${key}:snapshot:1`])
    expect((await hub.listVotes(up.id)).map((v) => v.choice)).toEqual([2])
  })

  it('backs off on hub 429 and refuses a malformed hub answer without crashing', async () => {
    await upstreamProposal('basic', ['For', 'Against', 'Abstain'])
    // Ends before a signalling window fits (buffer 1800 s): not mirrored, said so once.
    const late = snapshotKey(UPSTREAM, (await upstreamProposal('single-choice', ['x', 'y'], { end: clock + 1000 })).id)
    let throttled = 0
    hub.setFault(({ path }) => (path === '/graphql' && throttled++ < 3 ? { status: 429, body: { error: 'too many requests' }, headers: { 'retry-after': '0' } } : undefined))
    const r1 = await roundOf()()
    expect(throttled).toBeGreaterThan(3)
    expect(r1.errors).toEqual([])
    expect(r1.mirrored).toHaveLength(1)
    expect(await store.governance.getProposal(late)).toMatchObject({ status: 'failed', error: expect.stringContaining('too late to mirror') })
    expect(await store.governance.wasNotified(`gov:unmirrored:${late}`)).toBe(true)
    hub.setFault(({ path }) => (path === '/graphql' ? { status: 200, body: { data: { proposals: 'nope', votes: 7, space: 3 } } } : undefined))
    const r2 = await roundOf()()
    expect(r2.errors.length).toBeGreaterThan(0)
    expect(r2.errors.map((e) => e.error).join('\n')).toMatch(/hub: data/)
    hub.setFault(undefined)
    expect((await roundOf()()).errors).toEqual([])
  })
})

describe('governor round: on-chain Governor (GovernorCountingFractional)', () => {
  const c = () => devnet.chain('ethereum')
  async function propose(description: string): Promise<bigint> {
    const targets: Address[] = [dao.token]
    const calldatas = [encodeFunctionData({ abi: [{ type: 'function', name: 'name', inputs: [], outputs: [{ type: 'string' }], stateMutability: 'view' }], functionName: 'name' })]
    const hash = await c().wallet(6).writeContract({ address: dao.governor, abi: governorAbi, functionName: 'propose', args: [targets, [0n], calldatas, description] })
    await c().public.waitForTransactionReceipt({ hash, pollingInterval: 20 })
    await devnet.mine('ethereum', dao.votingDelay + 1)
    return c().public.readContract({ address: dao.governor, abi: governorAbi, functionName: 'hashProposal', args: [targets, [0n], calldatas, keccak256(toHex(description))] })
  }
  const totals = async (id: bigint) => {
    const [against, forVotes, abstain] = await c().public.readContract({ address: dao.governor, abi: governorAbi, functionName: 'proposalVotes', args: [id] })
    return { against, for: forVotes, abstain }
  }

  it('mirrors a Governor proposal, casts the exact fractional split, tops up when signals move', async () => {
    const id = await propose('Raise the fee\nlonger text')
    const key = governorKey('ethereum', dao.governor, id)
    const round = roundOf()
    const r1 = await round()
    expect(r1.errors).toEqual([])
    expect(r1.discovered).toEqual([key])
    const p = (await store.governance.getProposal(key))!
    expect(p).toMatchObject({ type: 'basic', choices: ['For', 'Against', 'Abstain'], title: 'Raise the fee' })
    const sid = p.signalId!
    await signal(d2, sid, 'basic', 1) // For
    await signal(d3, sid, 'basic', 2) // Against
    await signal(d4, sid, 'basic', 3) // Abstain; #5 silent: not cast
    const r2 = await round()
    expect(r2.errors).toEqual([])
    expect(r2.cast).toHaveLength(1)
    const [against, forV, abstain] = apportion(POOL_DAO_WEIGHT, [W.d3, W.d2, W.d4, TOTAL - W.d2 - W.d3 - W.d4])
    const first = { against: against!, for: forV!, abstain: abstain! }
    expect(await totals(id)).toEqual(first)
    expect(first.against + first.for + first.abstain).toBeLessThan(POOL_DAO_WEIGHT)
    const receipt = await receiptOf(key)
    expect(receipt.result.calldata).toMatch(/^0x/)
    expect(recomputeFromReceipt(receipt).ok).toBe(true)
    expect((await round()).cast).toEqual([])

    clock += 5
    await signal(d5, sid, 'basic', 1)
    await walletSignal(sid, 'basic', 2) // EIP-1271: Against
    const r3 = await round()
    expect(r3.errors).toEqual([])
    expect(r3.cast.map((x) => x.castKey)).toEqual([`${key}:governor:1`])
    expect(TOTAL).toBe(W.d2 + W.d3 + W.d4 + W.d5 + WW) // everyone signalled now
    const [ta, tf, tb] = apportion(POOL_DAO_WEIGHT, [W.d3 + WW, W.d2 + W.d5, W.d4, 0n])
    const { delta } = topUp({ against: ta!, for: tf!, abstain: tb! }, first, POOL_DAO_WEIGHT)
    const now = await totals(id)
    expect(now).toEqual({ against: first.against + delta.against, for: first.for + delta.for, abstain: first.abstain + delta.abstain })
    expect(now.against + now.for + now.abstain).toBe(POOL_DAO_WEIGHT)
    const used = await c().public.readContract({ address: dao.governor, abi: governorAbi, functionName: 'usedVotes', args: [id, pool.address] })
    expect(used).toBe(POOL_DAO_WEIGHT)
  })

  it('paused (pause:all, then pause:governor set mid-round): nothing is signed or sent; resumed: it mirrors and votes', async () => {
    const up = await upstreamProposal('basic', ['For', 'Against', 'Abstain'], { end: clock + 3000 })
    const id = await propose('Paused test')
    const sKey = snapshotKey(UPSTREAM, up.id)
    const gKey = governorKey('ethereum', dao.governor, id)
    const head0 = await c().public.getBlockNumber({ cacheTime: 0 })
    const nothingSent = async () => {
      expect(await store.governance.listCasts(sKey, 'snapshot')).toEqual([])
      expect(await store.governance.listCasts(gKey, 'governor')).toEqual([])
      expect(await store.intents.list({ from: pool.address })).toEqual([])
      expect(await txsFrom(devnet, 'ethereum', pool.address, head0)).toEqual([])
      expect((await hub.listVotes(up.id)).filter((v) => v.voter === pool.address)).toEqual([])
      expect(await totals(id)).toEqual({ against: 0n, for: 0n, abstain: 0n })
    }

    // pause:all from the start: both proposals are discovered, neither mirrored (a mirror is a signed proposal).
    await store.controls.set('pause:all', true, 'test')
    const r0 = await roundOf()()
    expect(r0.errors).toEqual([])
    expect([...r0.discovered].sort()).toEqual([gKey, sKey].sort())
    expect(r0.mirrored).toEqual([])
    expect([...r0.held].sort()).toEqual([`mirror:${gKey}`, `mirror:${sKey}`].sort())
    expect(await hubClient.proposals({ spaces: [SIGNALS], state: 'all', first: 10, orderDirection: 'desc' })).toEqual([])
    await nothingSent()

    await store.controls.clear('pause:all')
    const r1 = await roundOf()()
    expect([...r1.mirrored].sort()).toEqual([gKey, sKey].sort())
    for (const key of [sKey, gKey]) {
      const sid = (await store.governance.getProposal(key))!.signalId!
      await signal(d2, sid, 'basic', 1)
      await signal(d3, sid, 'basic', 2)
    }

    // pause:governor arrives while the round is verifying the signals, after it started: no signature, no submission.
    let pausedMidRound = false
    const r2 = await roundOf({
      verifyEoa: async (envs) => {
        if (!pausedMidRound) {
          pausedMidRound = true
          await store.controls.set('pause:governor', true, 'test')
        }
        return Promise.all(envs.map((e) => verifyVoteEnvelope(e)))
      },
    })()
    expect(pausedMidRound).toBe(true)
    expect(r2.errors).toEqual([])
    expect(r2.tallied.map((t) => [t.key, t.status]).sort()).toEqual([[gKey, 'ok'], [sKey, 'ok']].sort())
    expect(r2.cast).toEqual([])
    expect([...r2.held].sort()).toEqual([`governor:${gKey}`, `snapshot:${sKey}`].sort())
    await nothingSent()

    // Resumed: both votes go out.
    await store.controls.clear('pause:governor')
    const r3 = await roundOf()()
    expect(r3.errors).toEqual([])
    expect(r3.held).toEqual([])
    expect(r3.cast.map((x) => x.target).sort()).toEqual(['governor', 'snapshot'])
    expect((await hub.listVotes(up.id)).filter((v) => v.voter === pool.address)).toHaveLength(1)
    expect((await txsFrom(devnet, 'ethereum', pool.address, head0)).map((t) => t.to?.toLowerCase())).toEqual([dao.governor.toLowerCase()])
  })

  it('a vote tx stuck past cancelAfterBlocks is cancelled (same-nonce self-transfer); the next round casts the split again', async () => {
    const id = await propose('Cancelled vote')
    const key = governorKey('ethereum', dao.governor, id)
    await roundOf()()
    const sid = (await store.governance.getProposal(key))!.signalId!
    await signal(d2, sid, 'basic', 1)
    await signal(d3, sid, 'basic', 2)
    const head0 = await c().public.getBlockNumber({ cacheTime: 0 })
    let broadcasts = 0
    const stuckSender = sender(devnet, config, store, chainClient(config, 'ethereum'), {
      agent: 'governor',
      stuckAfterBlocks: 1,
      cancelAfterBlocks: 2,
      hooks: {
        at: async (p: TxPoint, intent) => {
          if (p !== 'broadcast') return
          // The vote is lost from the mempool and blocks pass; then the cancellation is mined.
          if (++broadcasts === 1) await rpc(devnet, 'ethereum', 'anvil_dropTransaction', [intent.txHash])
          await rpc(devnet, 'ethereum', 'evm_mine')
          if (broadcasts === 1) await rpc(devnet, 'ethereum', 'evm_mine')
        },
      },
    }, devnet.voterKey)
    await rpc(devnet, 'ethereum', 'evm_setAutomine', [false])
    let r1
    try {
      r1 = await roundOf({ senders: { ethereum: stuckSender } })()
    } finally {
      await rpc(devnet, 'ethereum', 'evm_setAutomine', [true])
    }
    expect(r1.cast).toEqual([])
    expect(r1.errors.map((e) => [e.key, e.error])).toEqual([[key, expect.stringMatching(/cancelled/)]])
    const casts = await store.governance.listCasts(key, 'governor')
    expect(casts.map((x) => [x.key, x.status])).toEqual([[`${key}:governor:0`, 'failed']])
    const cancelled = (await store.intents.list({ from: pool.address }))[0]!
    expect(cancelled).toMatchObject({ status: 'cancelled' })
    expect(await totals(id)).toEqual({ against: 0n, for: 0n, abstain: 0n })

    const r2 = await roundOf()()
    expect(r2.errors).toEqual([])
    expect(r2.cast.map((x) => x.castKey)).toEqual([`${key}:governor:1`])
    const [against, forV, abstain] = apportion(POOL_DAO_WEIGHT, [W.d3, W.d2, 0n, TOTAL - W.d2 - W.d3])
    expect(await totals(id)).toEqual({ against: against!, for: forV!, abstain: abstain! })
    // On chain: the cancellation (0-value transfer to itself, the vote's nonce), then the vote.
    const txs = await txsFrom(devnet, 'ethereum', pool.address, head0)
    expect(txs.map((t) => [t.to?.toLowerCase(), t.input === '0x'])).toEqual([
      [pool.address.toLowerCase(), true],
      [dao.governor.toLowerCase(), false],
    ])
    expect(txs[0]!.nonce).toBe(Number(cancelled.nonce))
  })

  it('signal quorum not reached: alerts once and casts nothing', async () => {
    config = configSchema.parse({ ...config, governance: { ...config.governance, policy: { ...config.governance.policy, signalQuorumBps: 5_000 } } })
    const id = await propose('Quorum test')
    const key = governorKey('ethereum', dao.governor, id)
    const round = roundOf()
    await round()
    await signal(d4, (await store.governance.getProposal(key))!.signalId!, 'basic', 1) // 300 of TOTAL: under half
    const r = await round()
    expect(r.errors).toEqual([])
    expect(r.cast).toEqual([])
    expect(r.tallied.find((t) => t.key === key)?.status).toBe('quorum-not-reached')
    expect(await store.governance.wasNotified(`gov:quorum:${key}`)).toBe(true)
    await round()
    expect((await store.alerts.undelivered()).filter((a) => a.dedupKey === `gov:quorum:${key}`)).toHaveLength(1)
    expect(await totals(id)).toEqual({ against: 0n, for: 0n, abstain: 0n })
  })
})
