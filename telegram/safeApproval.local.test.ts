import type { Bot } from 'grammy'
import type { InlineKeyboardMarkup } from 'grammy/types'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Config } from '../config/schema'
import { createTelegramBot } from './bot'
import { createAlertDelivery } from './delivery'
import { ALICE, createAwaitingPlan, harness, OPS_CHAT, silentLogger, startPolling, type Harness } from './testing'

/**
 * Custody "safe": the Approve button on a plan shows the plan's Safe transaction and the
 * signatures the executor verified on chain; it records no approval (an approval is a signature).
 */

let h: Harness
let bot: Bot
const clock = Date.UTC(2026, 0, 1, 12)
const HASH = `0x${'ab'.repeat(32)}`
const ALICE_ADDR = '0x71bE63f3384f5fb98995898A86B02Fb2426c5788'

beforeEach(async () => {
  h = await harness()
})
afterEach(async () => {
  if (bot?.isRunning()) await bot.stop()
  await h.cleanup()
})

async function press(from: { id: number; username: string }, chatId: number, messageId: number, data: string) {
  const before = h.server.callbackAnswers().length
  h.server.injectCallback({ from, chat: { id: chatId }, messageId, data })
  await h.server.waitFor(() => h.server.callbackAnswers().length > before)
  return h.server.callbackAnswers()[before]!.text ?? ''
}
const buttons = (m: { reply_markup?: InlineKeyboardMarkup }) => (m.reply_markup?.inline_keyboard.flat() ?? []).map((b) => ('callback_data' in b ? b.callback_data : '') ?? '')

describe('Approve in custody "safe"', () => {
  it('shows the Safe tx hash and the verified signatures, and records nothing', async () => {
    const config: Config = { ...h.config, custody: { ...h.config.custody, kind: 'safe' } }
    bot = createTelegramBot({ config, store: h.store, logger: silentLogger, token: h.server.token, apiRoot: h.server.url, now: () => clock })
    await startPolling(bot)
    const planId = await createAwaitingPlan(h.store)
    await h.store.safeTxs.create({
      planId, chain: 'ethereum', safe: '0x96424741e24C4d008204D63EB07D2c30d94F4De3', safeTxHash: HASH, createdBlock: 100n,
      tx: { to: '0x0000000000000000000000000000000000000001', value: '0', data: '0x', operation: 1, safeTxGas: '0', baseGas: '0', gasPrice: '0', gasToken: '0x0000000000000000000000000000000000000000', refundReceiver: '0x0000000000000000000000000000000000000000', nonce: '7' },
    })
    await h.store.safeTxs.setConfirmations(planId, 'ethereum', [ALICE_ADDR], 2)
    await h.store.alerts.raise({ dedupKey: `plan:${planId}`, agent: 'strategist', chain: 'ethereum', rule: 'plan', subject: planId, severity: 'warning', title: `New plan ${planId}` })
    await createAlertDelivery({ config, store: h.store, api: bot.api, logger: silentLogger, token: h.server.token, now: () => clock }).tick()
    const alert = h.server.sent(OPS_CHAT)[0]!
    const before = h.server.sent(OPS_CHAT).length
    const answer = await press(ALICE, OPS_CHAT, alert.message_id, buttons(alert)[0]!)
    expect(answer).toBe('see below')
    const reply = h.server.sent(OPS_CHAT).slice(before).map((m) => m.text).join('\n')
    expect(reply).toContain(`Safe tx on ethereum: ${HASH} (nonce 7, proposed) — signatures 1/2: ${ALICE_ADDR}`)
    expect(reply).toContain('an approval is your signature, not a button')
    // Nothing recorded, no confirmation asked, the plan still awaits its signatures.
    expect(await h.store.approvals.list(planId)).toEqual([])
    expect(h.server.sent(OPS_CHAT).some((m) => m.text?.includes('Only alice can press this'))).toBe(false)
    expect((await h.store.plans.get(planId))!.status).toBe('awaiting_approval')
  })
})
