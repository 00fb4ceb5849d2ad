import { afterEach, expect, it } from 'vitest'
import { startBotApi, type BotApiServer } from '../devnet/telegram/botApi'
import { expirePlan } from '../plans/expire'
import type { Store } from '../store'
import { openStore } from '../store'
import { openTempStore } from '../store/testing'
import { createTelegramBot } from '../telegram/bot'
import { createAlertDelivery } from '../telegram/delivery'
import { createAwaitingPlan, OPS_CHAT, silentLogger, testConfig } from '../telegram/testing'
import { createCommitteeNotifier } from './committee'

/**
 * The committee's plan notifications over a real SQLite store and the real Telegram delivery (a
 * local Bot API server): each event once, in order, with its reason, only to committee chats.
 */
const COMMITTEE_CHAT = -100777
const TX = `0x${'ab'.repeat(32)}`
let store: Store
let cleanup: () => Promise<void>
let botApi: BotApiServer | undefined
afterEach(async () => {
  await botApi?.close()
  botApi = undefined
  await cleanup?.()
})

const CHATS = [
  { id: OPS_CHAT, alerts: ['info', 'warning', 'critical'] as ('info' | 'warning' | 'critical')[], digest: false },
  { id: COMMITTEE_CHAT, committee: true, alerts: ['critical'] as ('info' | 'warning' | 'critical')[], digest: false, rules: ['plan'] },
]
const config = testConfig({ chats: CHATS }, 'http://127.0.0.1:1')
const notices = async () => (await store.alerts.recent(1000)).filter((a) => a.rule.startsWith('committee-')).sort((a, b) => a.id - b.id)

it('approval, start, each step, completion, failure and expiry: each notified once, in order, to committee chats only', async () => {
  ;({ store, cleanup } = await openTempStore())
  const notifier = createCommitteeNotifier({ store, config, agent: 'sentinel' })
  expect(await notifier.round()).toEqual([]) // the baseline: nothing happened yet

  const id = await createAwaitingPlan(store)
  expect(await notifier.round()).toEqual([])
  await store.approvals.record({ planId: id, member: 'alice', decision: 'approve', via: 'telegram' })
  expect(await notifier.round()).toEqual([])
  await store.approvals.record({ planId: id, member: 'bob', decision: 'approve', via: 'cli' })
  expect(await notifier.round()).toEqual([`committee:${id}:approved`])
  expect(await notifier.round()).toEqual([])

  expect(await store.plans.transition(id, 'awaiting_approval', 'approved')).toBe(true)
  expect(await store.plans.transition(id, 'approved', 'executing')).toBe(true)
  await store.plans.setStepStatus(id, 0, 'sent')
  expect(await notifier.round()).toEqual([`committee:${id}:started`])
  await store.plans.setStepStatus(id, 0, 'confirmed', { mergeDetail: { txs: [{ hash: TX }] } })
  // Two notifiers at once (a second sentinel, a restart mid-round): still one row per event.
  const other = createCommitteeNotifier({ store, config, agent: 'sentinel' })
  const both = await Promise.all([notifier.round(), other.round()])
  expect(both.flat()).toEqual([`committee:${id}:step:0`])
  await store.plans.setStepStatus(id, 1, 'sent')
  await store.plans.setStepStatus(id, 1, 'confirmed', { mergeDetail: { idle: true } })
  expect(await store.plans.transition(id, 'executing', 'completed')).toBe(true)
  expect(await notifier.round()).toEqual([`committee:${id}:step:1`, `committee:${id}:completed`])

  const failed = await createAwaitingPlan(store, 'p-ethereum-101-1')
  await store.approvals.record({ planId: failed, member: 'alice', decision: 'approve', via: 'telegram' })
  await store.approvals.record({ planId: failed, member: 'carol', decision: 'approve', via: 'telegram' })
  await store.plans.transition(failed, 'awaiting_approval', 'approved')
  await store.plans.transition(failed, 'approved', 'executing')
  await store.plans.setStepStatus(failed, 0, 'sent')
  await store.plans.setStepStatus(failed, 0, 'failed', { error: 'reverted: ERC4626ExceededMaxWithdraw' })
  await store.plans.transition(failed, 'executing', 'failed', { error: 'step 0 reverted: ERC4626ExceededMaxWithdraw' })
  const expired = await createAwaitingPlan(store, 'p-ethereum-102-1')
  expect(await expirePlan(store, { planId: expired, chain: 'ethereum', reason: 'older than strategy.planTtlSeconds (3600 s)', agent: 'executor' })).toBe(true)
  expect(await notifier.round()).toEqual([`committee:${failed}:approved`, `committee:${failed}:started`, `committee:${failed}:failed`, `committee:${expired}:expired`])
  expect(await notifier.round()).toEqual([])

  const rows = await notices()
  expect(rows.map((a) => [a.rule, a.subject, a.severity])).toEqual([
    ['committee-approved', id, 'info'],
    ['committee-started', id, 'info'],
    ['committee-step', id, 'info'],
    ['committee-step', id, 'info'],
    ['committee-completed', id, 'info'],
    ['committee-approved', failed, 'info'],
    ['committee-started', failed, 'info'],
    ['committee-failed', failed, 'warning'],
    ['committee-expired', expired, 'warning'],
  ])
  expect(rows[2]!.title).toBe(`Plan ${id}: step 1/2 confirmed — withdraw 200 wstETH from vault-a on ethereum`)
  expect(rows[2]!.body).toBe(`tx ${TX}`)
  expect(rows[7]!.body).toBe('reason: step 0 reverted: ERC4626ExceededMaxWithdraw')
  expect(rows[8]!.body).toBe('reason: older than strategy.planTtlSeconds (3600 s)')
  // Notices are not conditions: nothing stays open, nothing will "recover".
  expect((await store.alerts.open()).filter((c) => c.rule.startsWith('committee-'))).toEqual([])

  // Telegram: the committee chat gets every notice at once (its severity and rule filters do not
  // apply to them); the ops chat, not a committee chat, gets none of them.
  botApi = await startBotApi({ chats: [{ id: OPS_CHAT, type: 'supergroup', title: 'ops' }, { id: COMMITTEE_CHAT, type: 'supergroup', title: 'committee' }] })
  const tgConfig = testConfig({ chats: CHATS }, botApi.url)
  const bot = createTelegramBot({ config: tgConfig, store, logger: silentLogger, token: botApi.token, apiRoot: botApi.url })
  const delivery = createAlertDelivery({ config: tgConfig, store, api: bot.api, logger: silentLogger, token: botApi.token })
  await delivery.tick()
  const committeeTexts = botApi.sent(COMMITTEE_CHAT).map((m) => m.text.split('\n')[0]!.split(' · ')[1])
  expect(committeeTexts).toEqual(rows.map((r) => r.title))
  const opsTitles = botApi.sent(OPS_CHAT).map((m) => m.text.split('\n')[0]!.split(' · ')[1])
  expect(opsTitles.filter((t) => rows.some((r) => r.title === t))).toEqual([])
  expect(botApi.sent(COMMITTEE_CHAT).find((m) => m.text.includes('failed'))!.text).toContain('reason: step 0 reverted: ERC4626ExceededMaxWithdraw')
  for (const r of rows) expect((await store.telegram.deliveries(r.id)).map((d) => [d.chatId, d.status]).sort()).toEqual([[COMMITTEE_CHAT, 'sent'], [OPS_CHAT, 'skipped']].sort())
})

it('events that happened before the notifier first ran are recorded as the baseline, not replayed; later ones are sent', async () => {
  ;({ store, cleanup } = await openTempStore())
  const id = await createAwaitingPlan(store)
  await store.plans.transition(id, 'awaiting_approval', 'approved')
  const notifier = createCommitteeNotifier({ store, config, agent: 'sentinel' })
  expect(await notifier.round()).toEqual([])
  expect(await notices()).toEqual([])
  await store.plans.transition(id, 'approved', 'executing')
  // A restarted notifier (new process, same store) keeps the baseline and sends only the new event.
  const path = store.path
  await store.close()
  store = await openStore({ path })
  expect(await createCommitteeNotifier({ store, config, agent: 'sentinel' }).round()).toEqual([`committee:${id}:started`])
})

/** An autonomous plan (below the approval threshold): approved when made, no committee decision. */
async function createAutonomousPlan(s: Store, id: string): Promise<string> {
  await s.plans.create({
    id,
    chain: 'ethereum',
    status: 'approved',
    basedOnBlock: { ethereum: 100n },
    totalAmount: 5n * 10n ** 18n,
    expectedGain: 10n ** 15n,
    cost: 10n ** 14n,
    needsApproval: false,
    approvalsRequired: 0,
    steps: [
      { kind: 'withdraw', chain: 'ethereum', venueId: 'vault-a', amount: 5n * 10n ** 18n },
      { kind: 'deposit', chain: 'ethereum', venueId: 'vault-b', amount: 5n * 10n ** 18n },
    ],
  })
  return id
}

it('autonomous plans: the committee hears each failure, stop and expiry with its reason; not their start, steps or completion', async () => {
  ;({ store, cleanup } = await openTempStore())
  const notifier = createCommitteeNotifier({ store, config, agent: 'sentinel' })
  expect(await notifier.round()).toEqual([]) // the baseline

  // Runs to completion: nothing for the committee.
  const done = await createAutonomousPlan(store, 'p-ethereum-200-1')
  await store.plans.transition(done, 'approved', 'executing')
  await store.plans.setStepStatus(done, 0, 'sent')
  await store.plans.setStepStatus(done, 0, 'confirmed', { mergeDetail: { txs: [{ hash: TX }] } })
  await store.plans.setStepStatus(done, 1, 'sent')
  await store.plans.setStepStatus(done, 1, 'confirmed', { mergeDetail: { txs: [{ hash: TX }] } })
  await store.plans.transition(done, 'executing', 'completed')
  expect(await notifier.round()).toEqual([])

  const failed = await createAutonomousPlan(store, 'p-ethereum-201-1')
  await store.plans.transition(failed, 'approved', 'executing')
  await store.plans.setStepStatus(failed, 0, 'sent')
  await store.plans.setStepStatus(failed, 0, 'failed', { error: 'reverted: ERC4626ExceededMaxWithdraw' })
  await store.plans.transition(failed, 'executing', 'failed', { error: 'step 0 reverted: ERC4626ExceededMaxWithdraw' })
  expect(await notifier.round()).toEqual([`committee:${failed}:failed`])

  const stopped = await createAutonomousPlan(store, 'p-ethereum-202-1')
  await store.plans.transition(stopped, 'approved', 'executing')
  await store.plans.transition(stopped, 'executing', 'stopped', { error: 'vault-b paused at block 123 (re-validated before step 1)' })
  const expired = await createAutonomousPlan(store, 'p-ethereum-203-1')
  expect(await expirePlan(store, { planId: expired, chain: 'ethereum', reason: 'older than strategy.planTtlSeconds (3600 s)', agent: 'executor' })).toBe(true)
  expect(await notifier.round()).toEqual([`committee:${stopped}:stopped`, `committee:${expired}:expired`])
  expect(await notifier.round()).toEqual([])

  const rows = await notices()
  expect(rows.map((a) => [a.rule, a.subject, a.severity, a.body])).toEqual([
    ['committee-failed', failed, 'warning', 'reason: step 0 reverted: ERC4626ExceededMaxWithdraw'],
    ['committee-stopped', stopped, 'warning', 'reason: vault-b paused at block 123 (re-validated before step 1)'],
    ['committee-expired', expired, 'warning', 'reason: older than strategy.planTtlSeconds (3600 s)'],
  ])

  // Through the real bot to a local Bot API: the committee chat gets the three, the ops chat none.
  botApi = await startBotApi({ chats: [{ id: OPS_CHAT, type: 'supergroup', title: 'ops' }, { id: COMMITTEE_CHAT, type: 'supergroup', title: 'committee' }] })
  const tgConfig = testConfig({ chats: CHATS }, botApi.url)
  const bot = createTelegramBot({ config: tgConfig, store, logger: silentLogger, token: botApi.token, apiRoot: botApi.url })
  await createAlertDelivery({ config: tgConfig, store, api: bot.api, logger: silentLogger, token: botApi.token }).tick()
  const sent = botApi.sent(COMMITTEE_CHAT).map((m) => m.text)
  expect(sent.map((t) => t.split('\n')[0]!.split(' · ')[1])).toEqual([`Plan ${failed} failed`, `Plan ${stopped} stopped`, `Plan ${expired} expired`])
  expect(sent[0]).toContain('reason: step 0 reverted: ERC4626ExceededMaxWithdraw')
  expect(sent[2]).toContain('reason: older than strategy.planTtlSeconds (3600 s)')
  const opsTitles = botApi.sent(OPS_CHAT).map((m) => m.text.split('\n')[0]!.split(' · ')[1])
  expect(opsTitles.filter((t) => rows.some((r) => r.title === t))).toEqual([])
  for (const r of rows) expect((await store.telegram.deliveries(r.id)).map((d) => [d.chatId, d.status]).sort()).toEqual([[COMMITTEE_CHAT, 'sent'], [OPS_CHAT, 'skipped']].sort())
  expect(botApi.sent(COMMITTEE_CHAT).some((m) => m.text.includes(done))).toBe(false)
})
