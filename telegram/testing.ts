import { Bot } from 'grammy'
import { pino } from 'pino'
import { parseConfig } from '../config/load.js'
import type { Config, ConfigInput } from '../config/schema.js'
import { startBotApi, type BotApiServer } from '../devnet/telegram/botApi.js'
import type { Store } from '../store/index.js'
import { openTempStore } from '../store/testing.js'

/** Test fixtures: a config with the devnet's people, a real store, the local Bot API server. */

export const OPERATOR = { id: 1001, username: 'olga' }
export const ALICE = { id: 2001, username: 'alice' }
export const BOB = { id: 2002, username: 'bob' }
export const CAROL = { id: 2003, username: 'carol' }
export const VIEWER = { id: 3001, username: 'victor' }
export const STRANGER = { id: 9999, username: 'mallory' }
export const OPS_CHAT = -100500

export const ADDR = '0x00000000000000000000000000000000000000a1'

export function testConfig(telegram: ConfigInput['telegram'] = {}, apiRoot?: string): Config {
  return parseConfig({
    chains: [{ name: 'ethereum', chainId: 31337, rpc: [{ url: 'http://127.0.0.1:1/' }], blockTimeMs: 1000 }],
    pool: { account: ADDR, collateral: [{ chain: 'ethereum', symbol: 'wstETH', token: ADDR, decimals: 18 }] },
    venues: [{ id: 'vault-a', chain: 'ethereum', protocol: 'sim', kind: 'erc4626', address: ADDR }],
    strategy: { approvalThreshold: 150, committee: { members: ['alice', 'bob', 'carol'], required: 2 } },
    telegram: {
      enabled: true,
      mode: 'devnet',
      ...(apiRoot ? { apiRoot } : {}),
      users: [
        { id: OPERATOR.id, name: 'olga', role: 'operator' },
        { id: ALICE.id, name: 'alice', role: 'committee' },
        { id: BOB.id, name: 'bob', role: 'committee' },
        { id: CAROL.id, name: 'carol', role: 'committee' },
        { id: VIEWER.id, name: 'victor', role: 'viewer' },
      ],
      chats: [{ id: OPS_CHAT, name: 'ops', alerts: ['warning', 'critical'], digest: true }],
      rateLimits: { privateMinGapMs: 0 },
      ...telegram,
    },
  })
}

export async function createAwaitingPlan(store: Store, id = 'p-ethereum-100-1'): Promise<string> {
  await store.plans.create({
    id,
    chain: 'ethereum',
    status: 'awaiting_approval',
    basedOnBlock: { ethereum: 100n },
    totalAmount: 200n * 10n ** 18n,
    expectedGain: 10n ** 17n,
    cost: 10n ** 15n,
    needsApproval: true,
    approvalsRequired: 2,
    steps: [
      { kind: 'withdraw', chain: 'ethereum', venueId: 'vault-a', amount: 200n * 10n ** 18n },
      { kind: 'deposit', chain: 'ethereum', venueId: 'vault-b', amount: 200n * 10n ** 18n },
    ],
  })
  return id
}

/** A bridge plan whose transfer left ethereum and was left for a person (held); its transfer id. */
export async function createHeldTransfer(store: Store, planId = 'p-bridge'): Promise<string> {
  await store.plans.create({
    id: planId,
    chain: null,
    basedOnBlock: { ethereum: 10n, arbitrum: 12n },
    totalAmount: 5n * 10n ** 18n,
    expectedGain: 1n,
    cost: 1n,
    needsApproval: false,
    approvalsRequired: 0,
    steps: [
      { kind: 'bridge', chain: 'ethereum', venueId: 'ethereum-wsteth', amount: 5n * 10n ** 18n },
      { kind: 'redeem', chain: 'arbitrum', venueId: 'arbitrum-wsteth', amount: 5n * 10n ** 18n },
    ],
  })
  const { transfer } = await store.transfers.create({ planId, stepIdx: 0, redeemIdx: 1, sourceChain: 'ethereum', destChain: 'arbitrum', token: '0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', destToken: '0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', recipient: '0xcccccccccccccccccccccccccccccccccccccccc', amount: 5n * 10n ** 18n, received: 5n * 10n ** 8n })
  await store.transfers.markInitiated(transfer.id, { sourceTx: '0xaa', sourceBlock: 10n, sequence: 7n, emitter: '0xbb' })
  if (!(await store.transfers.hold(transfer.id, 'the redeem on arbitrum failed 3 time(s)'))) throw new Error('createHeldTransfer: hold refused')
  return transfer.id
}

export const silentLogger = pino({ level: 'silent' })

export interface Harness {
  server: BotApiServer
  store: Store
  config: Config
  cleanup(): Promise<void>
}

export async function harness(telegram: ConfigInput['telegram'] = {}): Promise<Harness> {
  const server = await startBotApi({ chats: [{ id: OPS_CHAT, type: 'supergroup', title: 'ops' }] })
  const { store, cleanup } = await openTempStore()
  const config = testConfig(telegram, server.url)
  return {
    server,
    store,
    config,
    cleanup: async () => {
      await server.close()
      await cleanup()
    },
  }
}

/** Starts long polling and resolves once the bot polls. */
export async function startPolling(bot: Bot): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    bot.start({ onStart: () => resolve(), timeout: 10 }).catch(reject)
  })
}
