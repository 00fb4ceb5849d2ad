import type { Bot } from 'grammy'
import type { Address } from 'viem'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Config } from '../config/schema'
import { buildTree, epochLeaves, publishedLeaves, type PublishedEpoch } from '../rewards/tree'
import { createTelegramBot } from './bot'
import { storeRewardsReader } from './rewards'
import { harness, silentLogger, startPolling, STRANGER, VIEWER, type Harness } from './testing'

/**
 * /rewards [address] through the real grammY bot over the local Bot API server: the epochs, and
 * an account's cumulative entitlement, claimed amount (the distributor's `claimed`, here a given
 * function), claimable amount and proof availability, from the published trees in a real store.
 */
let h: Harness
let bot: Bot
const A = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8'
const B = '0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc'
const NOBODY = '0x90f79bf6eb2c4f870365e785982e1f101e93b906'
const DISTRIBUTOR = '0x5fbdb2315678afecb367f032d93f642f64180aa3'
const claimedOnChain = new Map<string, bigint>()
let chainDown = false

beforeEach(async () => {
  h = await harness()
  claimedOnChain.clear()
  chainDown = false
})
afterEach(async () => {
  if (bot?.isRunning()) await bot.stop()
  await h.cleanup()
})

async function say(from: { id: number; username: string }, text: string) {
  const before = h.server.sent(from.id).length
  h.server.injectMessage({ from, text })
  await h.server.waitFor(() => h.server.sent(from.id).length > before)
  return h.server.sent(from.id)[before]!.text
}

/** Stores a closed epoch the way the distributor does (tree JSON of cumulative leaves). */
async function storeEpoch(epoch: number, funded: boolean, weights: Map<string, bigint>, distributable: bigint, previous: Map<string, bigint>) {
  const l = epochLeaves({ weights, distributable, commission: 0n, feeRecipient: NOBODY, previous })
  const tree = buildTree(l.cumulative)
  const published = { format: 'poolwarden-rewards-v1', epoch, root: tree.root, leaves: publishedLeaves(l) } as unknown as PublishedEpoch
  await h.store.rewards.insert({ epoch, startTime: epoch * 180, endTime: (epoch + 1) * 180, status: 'built', root: tree.root, funding: distributable, carriedLoss: 0n, remainder: l.remainder, tree: JSON.stringify(published), summary: {} })
  // As the distributor moves it: built → rooted → funded.
  if (funded) for (const [from, to] of [['built', 'rooted'], ['rooted', 'funded']] as const) expect(await h.store.rewards.advance(epoch, from, to)).toBe(true)
  return l.cumulative
}

async function start() {
  const config = {
    ...h.config,
    rewards: { chain: 'ethereum', distributor: DISTRIBUTOR, epochSeconds: 180, commissionBps: 1000, feeRecipient: NOBODY, settleSeconds: 3 },
  } as unknown as Config
  const rewards = storeRewardsReader({
    config,
    store: h.store,
    claimed: async (a: Address) => {
      if (chainDown) throw new Error('HTTP request failed: connect ECONNREFUSED 127.0.0.1:8545')
      return claimedOnChain.get(a.toLowerCase()) ?? 0n
    },
  })
  bot = createTelegramBot({ config, store: h.store, logger: silentLogger, token: h.server.token, apiRoot: h.server.url, rewards })
  await startPolling(bot)
}

describe('/rewards', () => {
  it('lists the epochs, and for an address its entitlement, claimed, claimable and proof, from the latest root on chain', async () => {
    await start()
    expect(await say(VIEWER, '/rewards')).toBe('no reward epoch closed yet (epochs of 180 s; claims on ethereum)')
    // Epoch 10: A holds 3/4, B 1/4 of 4 wstETH. Epoch 11: 2 more, split evenly; only built (not on chain yet).
    const wstETH = 10n ** 18n
    const c10 = await storeEpoch(10, true, new Map([[A, 3n], [B, 1n]]), 4n * wstETH, new Map())
    await storeEpoch(11, false, new Map([[A, 1n], [B, 1n]]), 2n * wstETH, c10)
    const list = await say(VIEWER, '/rewards')
    expect(list).toContain('• epoch 11 — built, root 0x')
    expect(list).toContain('• epoch 10 — funded, root 0x')
    expect(list).toContain(`claims on ethereum at ${DISTRIBUTOR}`)

    // A has claimed 1 of its 3: 2 claimable, from epoch 10 (11's root is not on chain yet).
    claimedOnChain.set(A, 1n * wstETH)
    const a = await say(VIEWER, `/rewards ${A}`)
    expect(a).toContain('Rewards for 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 — epoch 10 (funded, root 0x')
    expect(a).toContain('entitled (cumulative): 3 wstETH (this epoch 3 wstETH)')
    expect(a).toContain('claimed: 1 wstETH')
    expect(a).toContain('claimable: 2 wstETH')
    expect(a).toContain('proof: available — npm run rewards -- proof 0x70997970C51812dc3A010C7d01b50e0d17dc79C8')

    // Epoch 11's root lands on chain: A's cumulative is 4, B has claimed everything of epoch 10.
    expect(await h.store.rewards.advance(11, 'built', 'rooted')).toBe(true)
    claimedOnChain.set(B, 1n * wstETH)
    const a2 = await say(VIEWER, `/rewards ${A.toUpperCase().replace('0X', '0x')}`)
    expect(a2).toContain('epoch 11 (rooted')
    expect(a2).toContain('entitled (cumulative): 4 wstETH (this epoch 1 wstETH)')
    expect(a2).toContain('claimable: 3 wstETH')
    expect(a2).toContain('funding is not confirmed yet')
    const b = await say(VIEWER, `/rewards ${B}`)
    expect(b).toContain('claimed: 1 wstETH')
    expect(b).toContain('claimable: 1 wstETH')

    // An address with no leaf, and the chain unreachable: said so, no claimable figure.
    expect(await say(VIEWER, `/rewards ${NOBODY}`)).toContain('no leaf in this epoch’s tree')
    chainDown = true
    const down = await say(VIEWER, `/rewards ${A}`)
    expect(down).toContain('claimed: unknown (ethereum not readable: HTTP request failed')
    expect(down).toContain('claimable: unknown until the chain answers')
    expect(down).not.toMatch(/claimable: \d/)
  })

  it('refuses a malformed address naming the fix; strangers get nothing', async () => {
    await start()
    expect(await say(VIEWER, '/rewards 0x1234')).toBe('rewards: "0x1234" is not an address: give 0x and 40 hex digits (usage: /rewards [address])')
    expect(await say(VIEWER, `/rewards ${A} ${B}`)).toMatch(/^rewards: /)
    const before = h.server.sent(STRANGER.id).length
    h.server.injectMessage({ from: STRANGER, text: `/rewards ${A}` })
    await new Promise((r) => setTimeout(r, 500))
    expect(h.server.sent(STRANGER.id).slice(before).some((m) => m.text.includes('entitled'))).toBe(false)
  })
})
