import type { Bot } from 'grammy'
import type { InlineKeyboardMarkup } from 'grammy/types'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { recordDecision } from '../plans/decide'
import { pauseKey, PAUSE_ALL } from '../store'
import { createTelegramBot } from './bot'
import { COMMANDS } from './commands'
import { createAlertDelivery, OFFER_TTL_MS } from './delivery'
import type { GovernanceReader } from './governance'
import { ALICE, BOB, CAROL, createAwaitingPlan, createHeldTransfer, harness, OPERATOR, OPS_CHAT, silentLogger, startPolling, STRANGER, VIEWER, type Harness } from './testing'

let h: Harness
let bot: Bot
let clock: number

type Who = { id: number; username: string }

async function start(opts: { governance?: GovernanceReader } = {}) {
  bot = createTelegramBot({ config: h.config, store: h.store, logger: silentLogger, token: h.server.token, apiRoot: h.server.url, now: () => clock, governance: opts.governance })
  await startPolling(bot)
}

beforeEach(async () => {
  clock = Date.UTC(2026, 0, 1, 12)
  h = await harness()
})
afterEach(async () => {
  if (bot?.isRunning()) await bot.stop()
  await h.cleanup()
})

/** Sends `text` as `from` (in their private chat, or `chat`) and returns the bot's reply. */
async function say(from: Who, text: string, chat?: number) {
  const chatId = chat ?? from.id
  const before = h.server.sent(chatId).length
  h.server.injectMessage({ from, text, ...(chat ? { chat: { id: chat, type: 'supergroup' as const } } : {}) })
  await h.server.waitFor(() => h.server.sent(chatId).length > before)
  return h.server.sent(chatId)[before]!
}

/** Presses a button as `from` and returns the callback answer text. */
async function press(from: Who, chatId: number, messageId: number, data: string) {
  const before = h.server.callbackAnswers().length
  h.server.injectCallback({ from, chat: { id: chatId }, messageId, data })
  await h.server.waitFor(() => h.server.callbackAnswers().length > before)
  return h.server.callbackAnswers()[before]!.text ?? ''
}

const buttons = (m: { reply_markup?: InlineKeyboardMarkup }) => (m.reply_markup?.inline_keyboard.flat() ?? []).map((b) => ('callback_data' in b ? b.callback_data : '') ?? '')

describe('read commands', () => {
  it('answers every read command from the store and audits each', async () => {
    await start()
    const planId = await createAwaitingPlan(h.store)
    // /help lists only what the role may run (telegram/auth.ts): viewers read, operators also pause/resume/mute, the committee also approves/rejects.
    const listed = async (who: Who) => (await say(who, '/help')).text.split('\n').slice(1).map((l) => l.split(' ')[0])
    const viewerHelp = (await say(VIEWER, '/help')).text
    expect(viewerHelp).toContain('/tally — a proposal tally <id>')
    expect(viewerHelp.split('\n').slice(1).map((l) => l.split(' ')[0])).toEqual(['/status', '/yields', '/positions', '/plans', '/plan', '/proposals', '/tally', '/alerts', '/transfers', '/help'])
    expect(await listed(OPERATOR)).toEqual(['/status', '/yields', '/positions', '/plans', '/plan', '/pause', '/resume', '/proposals', '/tally', '/alerts', '/transfers', '/release', '/mute', '/help'])
    expect(await listed(ALICE)).toEqual(['/status', '/yields', '/positions', '/plans', '/plan', '/approve', '/reject', '/proposals', '/tally', '/alerts', '/transfers', '/help'])
    expect((await say(VIEWER, '/status')).text).toMatch(/Agents:[\s\S]*Pauses: none[\s\S]*Open plans: 1 \(1 awaiting the committee\)/)
    expect((await say(VIEWER, '/yields')).text).toContain('vault-a: APY —')
    expect((await say(VIEWER, '/yields ethereum')).text).toContain('Yields on ethereum')
    expect((await say(VIEWER, '/yields arbitrun')).text).toBe('yields: unknown chain "arbitrun" (known: ethereum)')
    expect((await say(VIEWER, '/positions')).text).toContain('ethereum: 0.000 wstETH in venues')
    expect((await say(VIEWER, '/plans')).text).toContain(`${planId} — awaiting approval, moves 200.000 wstETH, approvals 0/2`)
    const plan = (await say(VIEWER, `/plan ${planId}`)).text
    expect(plan).toContain('committee: 0/2 approvals')
    expect(plan).toContain('0. withdraw 200.0000 wstETH vault-a — pending')
    expect((await say(VIEWER, '/plan p-nope')).text).toBe('no plan "p-nope": /plans lists them')
    expect((await say(VIEWER, '/alerts')).text).toBe('Open alerts: none')
    expect((await say(VIEWER, '/proposals')).text).toMatch(/no governance data yet/)
    expect((await say(VIEWER, '/tally 0xabc')).text).toBe('no proposal "0xabc": /proposals lists them')
    expect((await say(VIEWER, '/frobnicate')).text).toBe('unknown command /frobnicate: /help lists the commands')
    const audit = await h.store.audit.recent(100, { actor: 'telegram:victor' })
    expect(audit.map((a) => (a.detail as { command: string }).command).reverse()).toEqual([
      'help', 'status', 'yields', 'yields', 'yields', 'positions', 'plans', 'plan', 'plan', 'alerts', 'proposals', 'tally', 'frobnicate',
    ])
    expect((audit.find((a) => (a.detail as { args: string }).args === 'arbitrun')!.detail as { outcome: string }).outcome).toBe('refused')
  })

  it('reads governance through the reader it is given', async () => {
    await start({ governance: { listProposals: async () => 'prop-1: open', receipt: async (id) => (id === 'prop-1' ? 'prop-1: for 60%' : undefined) } })
    expect((await say(VIEWER, '/proposals')).text).toBe('prop-1: open')
    expect((await say(VIEWER, '/tally prop-1')).text).toBe('prop-1: for 60%')
    // The short id as /proposals shows it, ellipsis included, reaches the reader without it.
    expect((await say(VIEWER, '/tally prop-1…')).text).toBe('prop-1: for 60%')
    expect((await say(VIEWER, '/tally prop-1...')).text).toBe('prop-1: for 60%')
  })

  it('refuses over-long and malformed arguments and unknown ids, changing nothing', async () => {
    await start()
    await createAwaitingPlan(h.store)
    expect((await say(ALICE, `/approve ${'x'.repeat(300)}`)).text).toMatch(/^approve: arguments too long \(300 characters, at most 200\)/)
    expect((await say(ALICE, '/approve ../../etc/passwd')).text).toBe('approve: "../../etc/passwd" is not a plan id (letters, digits, - : _ only, at most 80)')
    expect((await say(ALICE, '/approve p-1 p-2')).text).toBe('approve: too many arguments (2, at most 1)')
    expect((await say(ALICE, '/approve')).text).toBe('approve: which plan? usage: /approve <id>')
    expect((await say(ALICE, '/approve p-unknown')).text).toBe('no plan "p-unknown": /plans lists them')
    expect((await say(OPERATOR, '/pause warp-drive')).text).toMatch(/^pause: unknown agent "warp-drive" \(known: executor, strategist/)
    expect((await say(OPERATOR, '/mute no-such-rule 1h')).text).toMatch(/^mute: unknown alert rule "no-such-rule"/)
    expect((await say(OPERATOR, '/mute apy-drop 30d')).text).toBe('mute: at most 7d: a longer silence hides real trouble')
    expect((await say(OPERATOR, '/mute apy-drop soon')).text).toMatch(/^mute: "soon" is not a duration/)
    expect(await h.store.controls.list()).toEqual([])
    expect(await h.store.approvals.list('p-ethereum-100-1')).toEqual([])
  })
})

describe('authorisation', () => {
  it('gives unknown users and unknown chats nothing and audits them', async () => {
    await start()
    h.server.injectMessage({ from: STRANGER, text: '/status' })
    h.server.injectMessage({ from: OPERATOR, chat: { id: -777, type: 'group' }, text: '/pause all' })
    await expectEventually(async () => (await h.store.audit.recent(10, { action: 'telegram.refused' })).length === 2)
    // A known user's reply proves the two updates were processed before it.
    await say(VIEWER, '/help')
    expect(h.server.sent(STRANGER.id)).toEqual([])
    expect(h.server.sent(-777)).toEqual([])
    const refused = await h.store.audit.recent(10, { action: 'telegram.refused' })
    expect(refused.map((a) => [a.actor, (a.detail as { reason: string }).reason]).reverse()).toEqual([
      [`telegram:unknown:${STRANGER.id}`, 'unknown-user'],
      [`telegram:unknown:${OPERATOR.id}`, 'unknown-chat'],
    ])
    expect(await h.store.controls.list()).toEqual([])
  })

  it('refuses commands beyond the role', async () => {
    await start()
    await createAwaitingPlan(h.store)
    expect((await say(VIEWER, '/approve p-ethereum-100-1')).text).toBe('/approve needs the committee role; you are viewer')
    expect((await say(VIEWER, '/pause executor')).text).toBe('/pause needs the operator role; you are viewer')
    expect((await say(OPERATOR, '/approve p-ethereum-100-1')).text).toBe('/approve needs the committee role; you are operator')
    expect((await say(ALICE, '/resume all')).text).toBe('/resume needs the operator role; you are committee')
    expect((await say(ALICE, '/mute apy-drop 1h')).text).toBe('/mute needs the operator role; you are committee')
    expect(await h.store.controls.list()).toEqual([])
    expect(await h.store.approvals.list('p-ethereum-100-1')).toEqual([])
  })
})

describe('confirmations', () => {
  it('pauses and resumes the executor after a confirmation that only the asker can use, once', async () => {
    await start()
    const ask = await say(OPERATOR, '/pause executor', OPS_CHAT)
    expect(ask.text).toMatch(/^Confirm: pause executor\?\nOnly olga can press this; it expires in 2m and works once\.$/)
    const [confirm] = buttons(ask)
    expect(confirm).toMatch(/^c:[A-Za-z0-9_-]{22}$/)
    expect(await h.store.controls.isPaused('executor')).toBe(false)
    // Someone else in the group presses it: refused.
    expect(await press(ALICE, OPS_CHAT, ask.message_id, confirm!)).toBe('refused: this confirmation belongs to the user who asked for it')
    expect(await h.store.controls.isPaused('executor')).toBe(false)
    expect(await press(OPERATOR, OPS_CHAT, ask.message_id, confirm!)).toBe('paused executor (/resume executor undoes it)')
    expect(await h.store.controls.isPaused('executor')).toBe(true)
    expect(await h.store.controls.isPaused('strategist')).toBe(false)
    expect(h.server.sent(OPS_CHAT).at(-1)!.text).toBe('pause: paused executor (/resume executor undoes it)')
    expect(h.server.sent(OPS_CHAT).at(-1)!.reply_markup).toBeUndefined()
    // Replayed: refused, still one control.
    expect(await press(OPERATOR, OPS_CHAT, ask.message_id, confirm!)).toBe('refused: this confirmation was already used')
    expect((await say(OPERATOR, '/pause executor')).text).toBe('executor is already paused (by telegram:olga)')
    expect((await say(VIEWER, '/status')).text).toContain('Pauses: executor (by telegram:olga')

    const ask2 = await say(OPERATOR, '/resume executor')
    expect(await press(OPERATOR, OPERATOR.id, ask2.message_id, buttons(ask2)[0]!)).toBe('resumed executor')
    expect(await h.store.controls.isPaused('executor')).toBe(false)
    expect((await say(OPERATOR, '/resume executor')).text).toBe('executor is not paused: nothing to resume')

    const ask3 = await say(OPERATOR, '/pause')
    expect(ask3.text).toMatch(/^Confirm: pause every agent\?/)
    expect(await press(OPERATOR, OPERATOR.id, ask3.message_id, buttons(ask3)[0]!)).toBe('paused every agent (/resume all undoes it)')
    expect(await h.store.controls.get(PAUSE_ALL)).toMatchObject({ setBy: 'telegram:olga' })
    expect((await say(VIEWER, '/status')).text).toContain('Pauses: all (every agent: the executor and the governor sign nothing) (by telegram:olga')
    expect(await h.store.controls.isPaused('executor')).toBe(true)

    const audit = await h.store.audit.recent(50, { action: 'telegram.button' })
    expect(audit.map((a) => (a.detail as { outcome: string }).outcome).reverse()).toEqual(['other-user', 'done', 'used', 'done', 'done'])
    expect((await h.store.audit.recent(50, { action: 'control.pause' })).map((a) => (a.detail as { key: string }).key)).toEqual([PAUSE_ALL, pauseKey('executor')])
  })

  it('expires a confirmation and honours cancel', async () => {
    await start()
    const ask = await say(OPERATOR, '/pause strategist')
    clock += 121_000
    expect(await press(OPERATOR, OPERATOR.id, ask.message_id, buttons(ask)[0]!)).toBe('expired: send the command again')
    expect(await h.store.controls.isPaused('strategist')).toBe(false)
    const ask2 = await say(OPERATOR, '/pause strategist')
    const [confirm, cancel] = buttons(ask2)
    expect(await press(OPERATOR, OPERATOR.id, ask2.message_id, cancel!)).toBe('cancelled')
    expect(await press(OPERATOR, OPERATOR.id, ask2.message_id, confirm!)).toBe('refused: this confirmation was already used')
    expect(await h.store.controls.isPaused('strategist')).toBe(false)
  })

  it('refuses forged callback data, changing nothing', async () => {
    await start()
    await createAwaitingPlan(h.store)
    const ask = await say(OPERATOR, '/pause executor', OPS_CHAT)
    for (const data of ['c:AAAAAAAAAAAAAAAAAAAAAA', 'o:AAAAAAAAAAAAAAAAAAAAAA', 'approve:p-ethereum-100-1', 'c:' + 'x'.repeat(10)]) {
      expect(await press(ALICE, OPS_CHAT, ask.message_id, data)).toMatch(/^refused: (unknown button|this button is not one of ours); nothing was changed$/)
    }
    expect(await h.store.controls.isPaused('executor')).toBe(false)
    expect(await h.store.approvals.list('p-ethereum-100-1')).toEqual([])
    expect((await h.store.audit.recent(10, { action: 'telegram.button' })).every((a) => (a.detail as { outcome: string }).outcome === 'forged')).toBe(true)
  })
})

describe('committee', () => {
  it('approves 2-of-3 with the buttons on the plan alert, writing the rows the plan CLI writes', async () => {
    await start()
    const planId = await createAwaitingPlan(h.store)
    await h.store.alerts.raise({ dedupKey: `plan:${planId}`, agent: 'strategist', chain: 'ethereum', rule: 'plan', subject: planId, severity: 'warning', title: `New plan ${planId} — needs 2 committee approval(s)` })
    const delivery = createAlertDelivery({ config: h.config, store: h.store, api: bot.api, logger: silentLogger, token: h.server.token, now: () => clock })
    expect(await delivery.tick()).toMatchObject({ sent: 1, delivered: 1 })
    const alert = h.server.sent(OPS_CHAT)[0]!
    expect(alert.text).toContain(`⚠️ <b>WARNING</b> · New plan ${planId}`)
    const [approveOffer] = buttons(alert)
    expect(approveOffer).toMatch(/^o:/)

    // The viewer cannot use it.
    expect(await press(VIEWER, OPS_CHAT, alert.message_id, approveOffer!)).toBe('approve needs the committee role; you are viewer')
    for (const [who, expected] of [
      [ALICE, 'approve by alice recorded: 1/2 approvals'],
      [BOB, `plan ${planId} approved (2 approve, 0 reject of 2 needed)`],
    ] as const) {
      expect(await press(who, OPS_CHAT, alert.message_id, approveOffer!)).toBe('confirm below')
      const ask = h.server.sent(OPS_CHAT).at(-1)!
      expect(ask.text).toContain(`Only ${who.username} can press this`)
      expect(await press(who, OPS_CHAT, ask.message_id, buttons(ask)[0]!)).toBe(expected)
    }
    expect((await h.store.plans.get(planId))!.status).toBe('approved')
    expect(await press(CAROL, OPS_CHAT, alert.message_id, approveOffer!)).toBe(`plan ${planId} is approved, not awaiting approval: nothing to decide`)

    // The same rows as `npm run plan -- approve` (via differs only).
    const rows = await h.store.approvals.list(planId)
    expect(rows.map(({ member, decision, via }) => ({ member, decision, via }))).toEqual([
      { member: 'alice', decision: 'approve', via: 'telegram' },
      { member: 'bob', decision: 'approve', via: 'telegram' },
    ])
    const other = await createAwaitingPlan(h.store, 'p-ethereum-101-1')
    await recordDecision(h.store, { planId: other, member: 'alice', decision: 'approve', via: 'cli', committee: h.config.strategy.committee, at: clock })
    const cli = (await h.store.approvals.list(other))[0]!
    expect(Object.keys(cli).sort()).toEqual(Object.keys(rows[0]!).sort())
    expect((await h.store.audit.recent(20, { action: 'plan.approve' })).map((a) => a.actor).sort()).toEqual(['cli:alice', 'telegram:alice', 'telegram:bob'])
  })

  it('lets the buttons on a plan alert lapse', async () => {
    await start()
    const planId = await createAwaitingPlan(h.store)
    await h.store.alerts.raise({ dedupKey: `plan:${planId}`, agent: 'strategist', rule: 'plan', subject: planId, severity: 'warning', title: 'New plan' })
    await createAlertDelivery({ config: h.config, store: h.store, api: bot.api, logger: silentLogger, token: h.server.token, now: () => clock }).tick()
    const alert = h.server.sent(OPS_CHAT)[0]!
    clock += OFFER_TTL_MS
    expect(await press(ALICE, OPS_CHAT, alert.message_id, buttons(alert)[0]!)).toBe('expired: use /approve <plan id>')
    expect(h.server.sent(OPS_CHAT).length).toBe(1)
  })

  it('rejects with /reject, and refuses a second decision by the same member', async () => {
    await start()
    const planId = await createAwaitingPlan(h.store)
    const ask = await say(CAROL, `/reject ${planId}`)
    expect(ask.text).toMatch(new RegExp(`^Confirm: reject plan ${planId} — awaiting approval`))
    expect(await press(CAROL, CAROL.id, ask.message_id, buttons(ask)[0]!)).toBe('reject by carol recorded: 0/2 approvals')
    expect((await say(CAROL, `/approve ${planId}`)).text).toBe(`you already decided "reject" on ${planId} (telegram); a decision stands once made`)
    expect(await h.store.approvals.count(planId)).toEqual({ approve: 0, reject: 1 })
  })
})

describe('held transfers', () => {
  it('lists a held transfer and releases it after an operator confirms; viewers and the committee cannot; audited', async () => {
    await start()
    const transfer = { id: await createHeldTransfer(h.store) }

    const list = (await say(VIEWER, '/transfers')).text
    expect(list).toContain(`Held for a person (1) — /release <id> once the cause is fixed:\n  ${transfer.id} ethereum→arbitrum initiated`)
    expect(list).toContain('the redeem on arbitrum failed 3 time(s)')
    expect((await say(VIEWER, `/release ${transfer.id}`)).text).toBe('/release needs the operator role; you are viewer')
    expect((await say(ALICE, `/release ${transfer.id}`)).text).toBe('/release needs the operator role; you are committee')
    expect((await say(OPERATOR, '/release p-nope:0')).text).toBe('release: no transfer "p-nope:0" (list them: /transfers)')

    const ask = await say(OPERATOR, `/release ${transfer.id}`, OPS_CHAT)
    expect(ask.text).toMatch(new RegExp(`^Confirm: release held transfer ${transfer.id} \\(the executor retries its redeem\\)\\?`))
    expect((await h.store.transfers.get(transfer.id))!.heldReason).not.toBeNull() // nothing before the button
    const [confirm] = buttons(ask)
    expect(await press(OPERATOR, OPS_CHAT, ask.message_id, confirm!)).toMatch(new RegExp(`^released transfer ${transfer.id} \\(ethereum → arbitrum, initiated\\)`))
    const after = (await h.store.transfers.get(transfer.id))!
    expect(after.heldReason).toBeNull()
    expect(after.releasedAt).toBe(clock)
    const audit = await h.store.audit.recent(10, { action: 'transfer.release' })
    expect(audit.map((a) => [a.actor, (a.detail as { id: string }).id])).toEqual([['telegram:olga', transfer.id]])
    // Released once: a second /release is refused, nothing more audited.
    expect((await say(OPERATOR, `/release ${transfer.id}`)).text).toMatch(/^release: transfer .* is initiated and not held: nothing to release/)
    expect(await h.store.audit.recent(10, { action: 'transfer.release' })).toHaveLength(1)
  })
})

describe('mute', () => {
  it('mutes and unmutes a rule', async () => {
    await start()
    expect((await say(OPERATOR, '/mute apy-drop 2h')).text).toMatch(/^apy-drop alerts muted for 2h \(until 2026-01-01T14:00:00.000Z\)/)
    expect((await say(VIEWER, '/alerts')).text).toContain('Muted: apy-drop for 2h (by telegram:olga)')
    expect((await say(OPERATOR, '/mute apy-drop off')).text).toBe('apy-drop alerts are no longer muted')
    expect(await h.store.controls.list('mute:')).toEqual([])
  })
})

it('registers the full command list', async () => {
  bot = createTelegramBot({ config: h.config, store: h.store, logger: silentLogger, token: h.server.token, apiRoot: h.server.url })
  await bot.api.setMyCommands([...COMMANDS])
  expect((await bot.api.getMyCommands()).map((c) => c.command)).toEqual(['status', 'yields', 'positions', 'plans', 'plan', 'approve', 'reject', 'pause', 'resume', 'proposals', 'tally', 'alerts', 'transfers', 'release', 'mute', 'help'])
})

async function expectEventually(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 20))
  }
}
