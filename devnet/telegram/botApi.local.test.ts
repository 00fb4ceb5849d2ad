import { autoRetry } from '@grammyjs/auto-retry'
import { Bot, GrammyError, InlineKeyboard } from 'grammy'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { htmlProblem, plainFromHtml, startBotApi, type BotApiServer } from './botApi.js'

const ALICE = { id: 1001, username: 'alice' }
const BOB = { id: 1002, username: 'bob' }

let server: BotApiServer
const running: Bot[] = []

beforeEach(async () => {
  server = await startBotApi()
})

afterEach(async () => {
  for (const bot of running.splice(0)) if (bot.isRunning()) await bot.stop()
  await server.close()
})

function makeBot(): Bot {
  const bot = new Bot(server.token, { client: { apiRoot: server.url } })
  bot.catch((err) => {
    throw err.error
  })
  return bot
}

/** Starts long polling; resolves once the first getUpdates is under way. `done` settles when polling ends. */
async function startPolling(bot: Bot): Promise<{ done: Promise<void> }> {
  running.push(bot)
  let started!: () => void
  const onStart = new Promise<void>((resolve) => (started = resolve))
  const done = bot.start({ onStart: () => started(), timeout: 10 })
  done.catch(() => {}) // observed by the caller when it matters
  await Promise.race([onStart, done])
  return { done }
}

async function call(method: string, body: unknown, token = server.token): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${server.url}/bot${token}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return { status: res.status, json: (await res.json()) as Record<string, unknown> }
}

describe('local Bot API server with the real grammY Bot', () => {
  it('delivers an injected /help command by long polling; the reply shows in sent()', async () => {
    const bot = makeBot()
    bot.command('help', (ctx) => ctx.reply('Commands: /status /help', { parse_mode: 'HTML' }))
    await startPolling(bot)

    const update = server.injectMessage({ from: ALICE, text: '/help' })
    expect(update.message?.entities).toEqual([{ type: 'bot_command', offset: 0, length: 5 }])
    await server.waitFor(() => server.sent(ALICE.id).length === 1)

    const [reply] = server.sent(ALICE.id)
    expect(reply).toMatchObject({ chat_id: ALICE.id, text: 'Commands: /status /help', parse_mode: 'HTML' })
    // The user's message took id 1 in the chat, the bot's reply id 2.
    expect(reply?.message_id).toBe(2)
    expect(server.calls('getMe')).toHaveLength(1)
    expect(server.calls('deleteWebhook')).toHaveLength(1)
  })

  it('recognises /cmd@botname and ignores updates confirmed by offset', async () => {
    const bot = makeBot()
    const seen: string[] = []
    bot.command('status', (ctx) => {
      seen.push(ctx.match)
      return ctx.reply('all good')
    })
    await startPolling(bot)
    server.injectMessage({ from: BOB, text: `/status@${server.botUser.username} executor` })
    await server.waitFor(() => server.sent(BOB.id).length === 1)
    expect(seen).toEqual(['executor'])
    await bot.stop()
    // bot.stop() confirmed the update: a new poller does not see it again.
    const again = await call('getUpdates', { timeout: 0 })
    expect(again.json).toEqual({ ok: true, result: [] })
  })

  it('registers and reads back the command list', async () => {
    const bot = makeBot()
    await bot.api.setMyCommands([
      { command: 'help', description: 'what I can do' },
      { command: 'status', description: 'agents and pauses' },
    ])
    expect(await bot.api.getMyCommands()).toEqual([
      { command: 'help', description: 'what I can do' },
      { command: 'status', description: 'agents and pauses' },
    ])
    expect(await bot.api.getMyCommands({ scope: { type: 'all_private_chats' } })).toEqual([])
    await expect(bot.api.setMyCommands([{ command: 'Bad-Command', description: 'x' }])).rejects.toMatchObject({
      error_code: 400,
      description: 'Bad Request: BOT_COMMAND_INVALID',
    })
  })

  it('runs a button press: callback handler answers the query and edits the message', async () => {
    const bot = makeBot()
    bot.command('approve', (ctx) =>
      ctx.reply(`Approve plan ${ctx.match}?`, {
        reply_markup: new InlineKeyboard().text('Approve', `ok:${ctx.match}`).text('Cancel', 'cancel'),
      }),
    )
    bot.callbackQuery(/^ok:(.+)$/, async (ctx) => {
      await ctx.answerCallbackQuery({ text: 'approved' })
      await ctx.editMessageText(`Plan ${ctx.match[1]} approved by @${ctx.from.username}`)
    })
    await startPolling(bot)

    server.injectMessage({ from: ALICE, text: '/approve 42' })
    await server.waitFor(() => server.sent(ALICE.id).length === 1)
    const [prompt] = server.sent(ALICE.id)
    expect(prompt?.reply_markup?.inline_keyboard[0]?.map((b) => b.text)).toEqual(['Approve', 'Cancel'])

    const update = server.injectCallback({ from: ALICE, messageId: prompt!.message_id, data: 'ok:42' })
    expect(update.callback_query?.message?.message_id).toBe(prompt!.message_id)
    await server.waitFor(() => server.sent(ALICE.id)[0]?.text.startsWith('Plan 42') === true)

    const [edited] = server.sent(ALICE.id)
    expect(edited).toMatchObject({ text: 'Plan 42 approved by @alice', history: ['Approve plan 42?'] })
    expect(edited?.reply_markup).toBeUndefined() // an edit without reply_markup drops the keyboard
    expect(edited?.edit_date).toBeTypeOf('number')
    expect(server.callbackAnswers()).toEqual([{ callback_query_id: update.callback_query!.id, text: 'approved' }])

    // The same query cannot be answered twice.
    await expect(bot.api.answerCallbackQuery(update.callback_query!.id)).rejects.toMatchObject({ error_code: 400 })
  })

  it('a second poller on the same token: the pending getUpdates ends in 409 Conflict, which grammY throws', async () => {
    const first = makeBot()
    const { done: firstDone } = await startPolling(first)
    await server.waitFor(() => server.calls('getUpdates').length >= 1)

    const second = makeBot()
    second.command('help', (ctx) => ctx.reply('still here'))
    await startPolling(second)
    const err = await firstDone.then(
      () => null,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(GrammyError)
    expect(err).toMatchObject({ error_code: 409 })
    expect((err as GrammyError).description).toMatch(/^Conflict: terminated by other getUpdates request/)

    // The second poller keeps working.
    server.injectMessage({ from: BOB, text: '/help' })
    await server.waitFor(() => server.sent(BOB.id).length === 1)
  })

  it('a 429 reaches grammY as GrammyError with parameters.retry_after; auto-retry waits and succeeds', async () => {
    server.addChat({ id: ALICE.id })
    const bot = makeBot()
    server.setFault({ method: 'sendMessage', status: 429, retryAfter: 1 })
    const err = await bot.api.sendMessage(ALICE.id, 'hello').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(GrammyError)
    expect(err).toMatchObject({
      error_code: 429,
      description: 'Too Many Requests: retry after 1',
      parameters: { retry_after: 1 },
    })
    expect(server.sent()).toHaveLength(0)

    bot.api.config.use(autoRetry())
    server.setFault({ method: 'sendMessage', status: 429, retryAfter: 1 })
    const t0 = Date.now()
    const message = await bot.api.sendMessage(ALICE.id, 'hello again')
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900)
    expect(message).toMatchObject({ text: 'hello again', chat: { id: ALICE.id } })
    expect(server.calls('sendMessage').map((c) => c.error_code)).toEqual([429, 429, undefined])
    expect(server.sent(ALICE.id).map((s) => s.text)).toEqual(['hello again'])
  })

  it('a 500 fault for N calls, then success', async () => {
    server.addChat({ id: ALICE.id })
    const bot = makeBot()
    server.setFault({ method: 'sendMessage', status: 500, times: 2 })
    await expect(bot.api.sendMessage(ALICE.id, 'a')).rejects.toMatchObject({ error_code: 500, description: 'Internal Server Error' })
    await expect(bot.api.sendMessage(ALICE.id, 'a')).rejects.toMatchObject({ error_code: 500 })
    await expect(bot.api.sendMessage(ALICE.id, 'a')).resolves.toMatchObject({ text: 'a' })
  })

  it('bot.stop() ends long polling cleanly; close() ends a pending long poll', async () => {
    const bot = makeBot()
    const { done } = await startPolling(bot)
    await server.waitFor(() => server.calls('getUpdates').length >= 1)
    // grammY long-polls for 30 s, longer than this test may run: `done` resolving proves the stop
    // cut the poll short (no clock is asserted; the test timeout is the bound).
    await bot.stop()
    await done
    expect(bot.isRunning()).toBe(false)

    // A raw long poll (an hour) is answered with an empty batch when the server closes.
    const pending = call('getUpdates', { timeout: 3_600 })
    await server.waitFor(() => server.calls('getUpdates').length >= 3)
    await server.close()
    expect(await pending).toEqual({ status: 200, json: { ok: true, result: [] } })
  })
})

describe('local Bot API server on the wire', () => {
  it('answers unknown methods, bad tokens and bad paths with the Telegram envelope', async () => {
    expect(await call('frobnicate', {})).toEqual({
      status: 404,
      json: { ok: false, error_code: 404, description: 'Not Found: method not found' },
    })
    expect(await call('getMe', {}, '1:wrong')).toEqual({ status: 401, json: { ok: false, error_code: 401, description: 'Unauthorized' } })
    const res = await fetch(`${server.url}/nothing`)
    expect(res.status).toBe(404)
    // Method names are case-insensitive, like Telegram's.
    expect((await call('GETME', {})).json).toMatchObject({ ok: true, result: { is_bot: true, username: 'poolwarden_bot' } })
  })

  it('accepts form-urlencoded and multipart bodies with JSON-encoded fields', async () => {
    server.addChat({ id: ALICE.id })
    const markup = JSON.stringify({ inline_keyboard: [[{ text: 'Yes', callback_data: 'y' }]] })
    const form = new URLSearchParams({ chat_id: String(ALICE.id), text: 'form', reply_markup: markup })
    const a = await fetch(`${server.url}/bot${server.token}/sendMessage`, { method: 'POST', body: form })
    expect(((await a.json()) as { result: unknown }).result).toMatchObject({ text: 'form', reply_markup: { inline_keyboard: [[{ text: 'Yes' }]] } })

    const multipart = new FormData()
    multipart.set('chat_id', String(ALICE.id))
    multipart.set('text', 'multipart')
    const b = await fetch(`${server.url}/bot${server.token}/sendMessage`, { method: 'POST', body: multipart })
    expect(await b.json()).toMatchObject({ ok: true, result: { text: 'multipart', message_id: 2 } })
  })

  it('refuses what Telegram refuses: unknown chat, empty or long text, bad parse_mode, long callback data, no-op edits', async () => {
    expect((await call('sendMessage', { chat_id: 999, text: 'x' })).json).toEqual({
      ok: false,
      error_code: 400,
      description: 'Bad Request: chat not found',
    })
    server.addChat({ id: ALICE.id })
    const refusal = async (body: Record<string, unknown>, method = 'sendMessage') =>
      ((await call(method, { chat_id: ALICE.id, ...body })).json as { description?: string }).description
    expect(await refusal({ text: ' ' })).toBe('Bad Request: message text is empty')
    expect(await refusal({ text: 'x'.repeat(4097) })).toBe('Bad Request: message is too long')
    expect(await refusal({ text: 'x', parse_mode: 'RTF' })).toBe('Bad Request: unsupported parse_mode')
    expect(await refusal({ text: 'x', reply_markup: { inline_keyboard: [[{ text: 'b', callback_data: 'd'.repeat(65) }]] } })).toBe(
      'Bad Request: BUTTON_DATA_INVALID',
    )
    const sent = await call('sendMessage', { chat_id: ALICE.id, text: 'same' })
    const messageId = (sent.json.result as { message_id: number }).message_id
    expect(await refusal({ message_id: messageId, text: 'same' }, 'editMessageText')).toMatch(/^Bad Request: message is not modified/)
    expect(await refusal({ message_id: 777, text: 'other' }, 'editMessageText')).toBe('Bad Request: message to edit not found')
  })

  it('getUpdates honours offset, negative offset, limit and allowed_updates', async () => {
    server.injectMessage({ from: ALICE, text: 'one' })
    server.injectMessage({ from: ALICE, text: 'two' })
    server.injectMessage({ from: ALICE, text: 'three' })
    const texts = (json: Record<string, unknown>) => (json.result as { message?: { text?: string } }[]).map((u) => u.message?.text)
    const ids = (json: Record<string, unknown>) => (json.result as { update_id: number }[]).map((u) => u.update_id)

    const first = await call('getUpdates', { limit: 2 })
    expect(texts(first.json)).toEqual(['one', 'two'])
    const [, second] = ids(first.json)
    expect(texts((await call('getUpdates', { offset: second! + 1 })).json)).toEqual(['three'])
    expect(texts((await call('getUpdates', { offset: -1 })).json)).toEqual(['three'])

    // Only callback queries are wanted now: a new message is held back, not delivered.
    const onlyCallbacks = await call('getUpdates', { offset: second! + 2, allowed_updates: ['callback_query'] })
    expect(onlyCallbacks.json.result).toEqual([])
    server.injectMessage({ from: ALICE, text: 'four' })
    expect((await call('getUpdates', { offset: second! + 2 })).json.result).toEqual([])
    // An empty list resets to the default (messages included).
    expect(texts((await call('getUpdates', { offset: second! + 2, allowed_updates: [] })).json)).toEqual(['four'])
  })

  it('a long poll returns as soon as an update arrives', async () => {
    // An hour-long poll: only the update can end it within the test (no clock asserted).
    const pending = call('getUpdates', { timeout: 3_600 })
    await server.waitFor(() => server.calls('getUpdates').length === 1)
    server.injectMessage({ from: BOB, text: '/help' })
    const { json } = await pending
    expect(json.result).toMatchObject([{ message: { text: '/help', from: { id: BOB.id }, chat: { id: BOB.id, type: 'private' } } }])
  })
})

describe('local Bot API server: formatting, blocked chats, flood control', () => {
  it('checks HTML like Telegram and returns the plain text', async () => {
    server.addChat({ id: ALICE.id })
    const bot = makeBot()
    const message = await bot.api.sendMessage(ALICE.id, '<b>Depeg</b> wstETH &lt; 0.99 <a href="https://x">why</a>', { parse_mode: 'HTML' })
    expect(message.text).toBe('Depeg wstETH < 0.99 why')
    expect(server.sent(ALICE.id)[0]?.text).toBe('<b>Depeg</b> wstETH &lt; 0.99 <a href="https://x">why</a>')
    await expect(bot.api.sendMessage(ALICE.id, 'apy < 3%', { parse_mode: 'HTML' })).rejects.toMatchObject({
      error_code: 400,
      description: expect.stringMatching(/^Bad Request: can't parse entities: /),
    })
    expect(htmlProblem('<b><i>x</b></i>')).toMatch(/Unmatched end tag/)
    expect(htmlProblem('<blink>x</blink>')).toMatch(/Unsupported start tag "blink"/)
    expect(htmlProblem('<b>open')).toMatch(/Can't find end tag/)
    expect(htmlProblem('a &amp; b &#8212; &quot;c&quot;')).toBeNull()
    expect(plainFromHtml('a &amp; b &#8212; &#x41;')).toBe('a & b \u2014 A')
    // Markdown is passed through as sent.
    expect((await bot.api.sendMessage(ALICE.id, '*bold*', { parse_mode: 'MarkdownV2' })).text).toBe('*bold*')
  })

  it('a chat that blocked the bot answers 403 and nothing is recorded as sent', async () => {
    server.addChat({ id: ALICE.id })
    server.blockChat(ALICE.id)
    const bot = makeBot()
    await expect(bot.api.sendMessage(ALICE.id, 'x')).rejects.toMatchObject({
      error_code: 403,
      description: 'Forbidden: bot was blocked by the user',
    })
    expect(server.sent()).toEqual([])
    server.blockChat(ALICE.id, false)
    await expect(bot.api.sendMessage(ALICE.id, 'x')).resolves.toMatchObject({ text: 'x' })
  })

  it('flood control: beyond the per-chat limit a 429 with retry_after, other chats unaffected', async () => {
    await server.close()
    server = await startBotApi({ chats: [{ id: ALICE.id, type: 'private', first_name: 'alice' }, { id: -500, type: 'group', title: 'committee' }], floodControl: { perChat: { limit: 2, windowMs: 3_000 } } })
    const bot = makeBot()
    await bot.api.sendMessage(ALICE.id, '1')
    await bot.api.sendMessage(ALICE.id, '2')
    const err = await bot.api.sendMessage(ALICE.id, '3').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(GrammyError)
    expect((err as GrammyError).parameters.retry_after).toBeGreaterThanOrEqual(1)
    expect((err as GrammyError).parameters.retry_after).toBeLessThanOrEqual(3)
    await expect(bot.api.sendMessage(-500, 'group ok')).resolves.toMatchObject({ chat: { id: -500, type: 'group' } })
    expect(server.sent(ALICE.id).map((s) => s.text)).toEqual(['1', '2'])
  })
})

describe('hooks over HTTP (npm run chat)', () => {
  it('injects messages and button presses and shows what the bot sent', async () => {
    const s = await startBotApi()
    try {
      const post = (path: string, body: unknown) => fetch(`${s.url}/_devnet/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json() as Promise<{ ok: boolean; result?: unknown; description?: string }>)
      const injected = await post('inject/message', { from: { id: 42, username: 'alice' }, text: '/status' })
      expect(injected).toMatchObject({ ok: true, result: { message: { text: '/status', chat: { id: 42 } } } })
      expect(await post('inject/message', { text: 'no sender' })).toEqual({ ok: false, error_code: 400, description: 'Bad Request: from.id (a number) is required' })
      const bot = new Bot(s.token, { client: { apiRoot: s.url } })
      const m = await bot.api.sendMessage(42, 'pick', { reply_markup: { inline_keyboard: [[{ text: 'go', callback_data: 'c:1' }]] } })
      const sent = (await (await fetch(`${s.url}/_devnet/sent?chat_id=42`)).json()) as { result: { text: string }[] }
      expect(sent.result.map((x) => x.text)).toEqual(['pick'])
      expect(await post('inject/callback', { from: { id: 42 }, messageId: m.message_id, data: 'c:1' })).toMatchObject({ ok: true, result: { callback_query: { data: 'c:1' } } })
      expect(await post('inject/callback', { from: { id: 42 }, messageId: 999, data: 'c:1' })).toMatchObject({ ok: false, error_code: 400 })
      expect(await (await fetch(`${s.url}/_devnet/answers`)).json()).toEqual({ ok: true, result: [] })
    } finally {
      await s.close()
    }
  })
})
