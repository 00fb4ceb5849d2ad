import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type {
  BotCommand,
  CallbackQuery,
  Chat,
  InlineKeyboardMarkup,
  Message,
  MessageEntity,
  Update,
  User,
} from 'grammy/types'

/**
 * A local Telegram Bot API server for the devnet and tests. The real grammY `Bot` reaches it with
 * `new Bot(token, { client: { apiRoot: server.url } })`; grammY builds `${apiRoot}/bot${token}/${method}`.
 *
 * Wire format (as api.telegram.org):
 * - `GET` (query string) or `POST` with `application/json`, `application/x-www-form-urlencoded` or
 *   `multipart/form-data` (object-valued fields such as `reply_markup` arrive as JSON strings and
 *   are decoded). Method names are case-insensitive.
 * - Success `{ ok: true, result }`; failure `{ ok: false, error_code, description, parameters? }`
 *   with the same HTTP status (429 carries `parameters.retry_after`).
 * - An unknown method → 404 "Not Found: method not found"; a token other than the server's → 401
 *   "Unauthorized".
 *
 * Methods: getMe, deleteWebhook, getWebhookInfo, getUpdates (long poll: offset confirms, negative
 * offset takes the last updates, timeout in seconds, limit 1–100, allowed_updates remembered like
 * Telegram; a newer getUpdates terminates the pending one with 409 "Conflict: terminated by other
 * getUpdates request"), sendMessage, editMessageText, answerCallbackQuery, setMyCommands,
 * getMyCommands, deleteMyCommands.
 *
 * Refusals as Telegram words them: unknown chat (400 "chat not found"; chats become known when
 * they write to the bot, or by `chats`/`addChat`), empty or over-4096 text, unknown parse_mode,
 * HTML that Telegram cannot parse (400 "can't parse entities: ..."; the returned Message carries
 * the plain text, `sent()` the text as sent), callback_data over 64 bytes, edits that change
 * nothing, a blocked chat (403), optional flood control (429 with retry_after).
 *
 * Over HTTP for other processes (`npm run chat`): POST /_devnet/inject/message {from, chat?, text},
 * POST /_devnet/inject/callback {from, chat?, messageId, data}, GET /_devnet/sent?chat_id=,
 * GET /_devnet/answers (answers as `{ ok, result }`).
 *
 * Test hooks: injectMessage, injectCallback, sent, callbackAnswers, calls, setFault, waitFor,
 * addChat, blockChat.
 * `close()` answers every pending long poll with an empty batch and drops all connections.
 */

export interface BotApiOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number
  /** The only token accepted. Default `DEVNET_BOT_TOKEN`. */
  token?: string
  /** The bot's identity, as getMe returns it. */
  bot?: { id?: number; username?: string; first_name?: string }
  /** Chats the bot may write to before anyone wrote to it (otherwise: "chat not found"). */
  chats?: Chat[]
  /**
   * Flood control like Telegram's: at most `perChat.limit` messages (sendMessage and
   * editMessageText) per chat per `perChat.windowMs`, and `global.limit` per `global.windowMs`;
   * beyond it 429 with `retry_after` = seconds until the window frees. Off by default.
   */
  floodControl?: { perChat?: { limit: number; windowMs: number }; global?: { limit: number; windowMs: number } }
}

export interface SentMessage {
  message_id: number
  chat_id: number
  /** Text after the latest edit. */
  text: string
  parse_mode?: string
  reply_markup?: InlineKeyboardMarkup
  date: number
  edit_date?: number
  /** Texts before each edit, oldest first. */
  history: string[]
}

export interface CallbackAnswer {
  callback_query_id: string
  text?: string
  show_alert?: boolean
  url?: string
}

export interface RecordedCall {
  method: string
  params: Record<string, unknown>
  /** The error code answered, if the call failed. */
  error_code?: number
}

export type BotApiFault =
  | { method: string; status: 429; retryAfter: number; times?: number }
  | { method: string; status: 500; times?: number }

export interface BotApiServer {
  /** The `apiRoot` for grammY: `http://127.0.0.1:<port>` (no trailing slash). */
  url: string
  port: number
  token: string
  botUser: User
  injectMessage(input: { from: Partial<User> & { id: number }; chat?: Partial<Chat> & { id: number }; text: string }): Update
  injectCallback(input: {
    from: Partial<User> & { id: number }
    chat?: Partial<Chat> & { id: number }
    messageId: number
    data: string
  }): Update
  /** Messages the bot sent (edits applied), optionally for one chat. */
  sent(chatId?: number): SentMessage[]
  callbackAnswers(): CallbackAnswer[]
  /** Every API call received (the token is never recorded), optionally for one method. */
  calls(method?: string): RecordedCall[]
  /** The next `times` (default 1) calls of `method` ('*' = any) fail with this error; null clears. */
  setFault(fault: BotApiFault | null): void
  addChat(chat: Partial<Chat> & { id: number }): void
  /** The user blocked the bot (or the bot left the chat): sends there answer 403; `false` undoes it. */
  blockChat(chatId: number, blocked?: boolean): void
  /** Resolves once `predicate()` is true (checked after every call and injection); rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>
  close(): Promise<void>
}

import { DEVNET_BOT_TOKEN } from '../../telegram/config.js'

/** The token the local server accepts by default (defined with the telegram config's devnet mode). */
export { DEVNET_BOT_TOKEN }

/** A Bot API refusal: answered as `{ ok: false, error_code, description, parameters? }`. */
class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly description: string,
    readonly parameters?: { retry_after?: number },
  ) {
    super(description)
  }
}

const badRequest = (what: string) => new ApiError(400, `Bad Request: ${what}`)

/** Update types Telegram delivers when allowed_updates is empty or never set. */
const DEFAULT_EXCLUDED = new Set(['chat_member', 'message_reaction', 'message_reaction_count'])
const PARSE_MODES = new Set(['HTML', 'Markdown', 'MarkdownV2'])
const JSON_FIELDS = new Set(['reply_markup', 'commands', 'scope', 'allowed_updates', 'entities', 'link_preview_options', 'reply_parameters'])
const MAX_TEXT = 4096

interface Waiter {
  offset: number
  limit: number
  allowed: Set<string> | null
  respond: (error: ApiError | null, updates?: Update[]) => void
}

interface PollState {
  waiter: Waiter | null
}

export async function startBotApi(options: BotApiOptions = {}): Promise<BotApiServer> {
  const token = options.token ?? DEVNET_BOT_TOKEN
  const botId = options.bot?.id ?? Number(token.split(':')[0] ?? 0)
  const botUser: User = {
    id: Number.isSafeInteger(botId) && botId > 0 ? botId : 7000000001,
    is_bot: true,
    first_name: options.bot?.first_name ?? 'poolwarden',
    username: options.bot?.username ?? 'poolwarden_bot',
  }

  let nextUpdateId = 100_000
  let nextCallbackId = 1
  const queue: Update[] = []
  let allowedUpdates: Set<string> | null = null
  const poll: PollState = { waiter: null }
  const chats = new Map<number, Chat>()
  const nextMessageId = new Map<number, number>()
  const sentByKey = new Map<string, SentMessage>()
  const sentList: SentMessage[] = []
  const openCallbacks = new Set<string>()
  const answers: CallbackAnswer[] = []
  const callLog: RecordedCall[] = []
  const commands = new Map<string, BotCommand[]>()
  const watchers = new Set<() => void>()
  let fault: (BotApiFault & { left: number }) | null = null
  let closed = false
  const blocked = new Set<number>()
  const sendTimes = new Map<number | 'global', number[]>()

  /** Flood control: records a send, or throws 429 with the seconds until the window frees. */
  function admitSend(chatId: number): void {
    const fc = options.floodControl
    if (!fc) return
    const t = Date.now()
    const rules: [number | 'global', { limit: number; windowMs: number } | undefined][] = [
      [chatId, fc.perChat],
      ['global', fc.global],
    ]
    for (const [key, rule] of rules) {
      if (!rule) continue
      const times = (sendTimes.get(key) ?? []).filter((x) => x > t - rule.windowMs)
      sendTimes.set(key, times)
      if (times.length >= rule.limit) {
        const retryAfter = Math.max(1, Math.ceil(((times[0] ?? t) + rule.windowMs - t) / 1000))
        throw new ApiError(429, `Too Many Requests: retry after ${retryAfter}`, { retry_after: retryAfter })
      }
    }
    for (const [key, rule] of rules) if (rule) sendTimes.get(key)?.push(t)
  }

  function checkNotBlocked(chat: Chat): void {
    if (!blocked.has(chat.id)) return
    throw new ApiError(403, chat.type === 'private' ? 'Forbidden: bot was blocked by the user' : 'Forbidden: bot was kicked from the group chat')
  }

  for (const chat of options.chats ?? []) addChat(chat)

  function addChat(chat: Partial<Chat> & { id: number }): Chat {
    const known = chats.get(chat.id)
    if (known) return known
    const full = (chat.type && chat.type !== 'private'
      ? { title: `chat ${chat.id}`, ...chat }
      : { type: 'private', first_name: `user ${chat.id}`, ...chat }) as Chat
    chats.set(chat.id, full)
    return full
  }

  function userOf(from: Partial<User> & { id: number }): User {
    return { is_bot: false, first_name: from.username ?? `user ${from.id}`, ...from }
  }

  function newMessageId(chatId: number): number {
    const id = (nextMessageId.get(chatId) ?? 0) + 1
    nextMessageId.set(chatId, id)
    return id
  }

  const now = () => Math.floor(Date.now() / 1000)
  const notify = () => {
    for (const w of [...watchers]) w()
  }

  function updateType(u: Update): string {
    return Object.keys(u).find((k) => k !== 'update_id') ?? 'unknown'
  }

  function deliverable(offset: number, limit: number, allowed: Set<string> | null): Update[] {
    const out: Update[] = []
    for (const u of queue) {
      if (u.update_id < offset) continue
      const type = updateType(u)
      if (allowed ? !allowed.has(type) : DEFAULT_EXCLUDED.has(type)) continue
      out.push(u)
      if (out.length >= limit) break
    }
    return out
  }

  function pushUpdate(body: Omit<Update, 'update_id'>): Update {
    const update = { update_id: nextUpdateId++, ...body } as Update
    queue.push(update)
    const w = poll.waiter
    if (w) {
      const batch = deliverable(w.offset, w.limit, w.allowed)
      if (batch.length > 0) w.respond(null, batch)
    }
    notify()
    return update
  }

  function commandEntities(text: string): MessageEntity[] | undefined {
    const entities: MessageEntity[] = []
    for (const m of text.matchAll(/(^|\s)(\/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?)(?=$|\s)/g)) {
      const offset = (m.index ?? 0) + (m[1] ?? '').length
      entities.push({ type: 'bot_command', offset, length: (m[2] ?? '').length })
    }
    return entities.length > 0 ? entities : undefined
  }

  function messageOf(s: SentMessage): Message {
    const chat = chats.get(s.chat_id) ?? addChat({ id: s.chat_id })
    return {
      message_id: s.message_id,
      from: botUser,
      chat,
      date: s.date,
      ...(s.edit_date !== undefined ? { edit_date: s.edit_date } : {}),
      text: s.parse_mode === 'HTML' ? plainFromHtml(s.text) : s.text,
      ...(s.reply_markup ? { reply_markup: s.reply_markup } : {}),
    } as Message
  }

  // ---- parameter decoding -------------------------------------------------------------------

  function int(params: Record<string, unknown>, key: string, required: true): number
  function int(params: Record<string, unknown>, key: string, required?: false): number | undefined
  function int(params: Record<string, unknown>, key: string, required = false): number | undefined {
    const v = params[key]
    if (v === undefined || v === null || v === '') {
      if (required) throw badRequest(`${key} is empty`)
      return undefined
    }
    const n = typeof v === 'number' ? v : Number(v)
    if (!Number.isSafeInteger(n)) throw badRequest(`field "${key}" must be of type Integer`)
    return n
  }

  function str(params: Record<string, unknown>, key: string): string | undefined {
    const v = params[key]
    if (v === undefined || v === null) return undefined
    if (typeof v === 'string') return v
    if (typeof v === 'number' || typeof v === 'boolean') return String(v)
    throw badRequest(`field "${key}" must be of type String`)
  }

  function bool(params: Record<string, unknown>, key: string): boolean {
    const v = params[key]
    return v === true || v === 'true' || v === '1' || v === 1
  }

  function chatFor(params: Record<string, unknown>): Chat {
    const chatId = params.chat_id
    if (chatId === undefined || chatId === null || chatId === '') throw badRequest('chat_id is empty')
    const id = typeof chatId === 'number' ? chatId : Number(chatId)
    const chat = Number.isSafeInteger(id) ? chats.get(id) : undefined
    if (!chat) throw badRequest('chat not found')
    return chat
  }

  function checkText(text: string | undefined): string {
    if (text === undefined || text.trim() === '') throw badRequest('message text is empty')
    if (text.length > MAX_TEXT) throw badRequest('message is too long')
    return text
  }

  function checkParseMode(params: Record<string, unknown>, text: string): string | undefined {
    const mode = str(params, 'parse_mode')
    if (mode === undefined || mode === '') return undefined
    if (!PARSE_MODES.has(mode)) throw badRequest(`unsupported parse_mode`)
    if (mode === 'HTML') {
      const problem = htmlProblem(text)
      if (problem) throw badRequest(`can't parse entities: ${problem}`)
    }
    return mode
  }

  function checkMarkup(params: Record<string, unknown>): InlineKeyboardMarkup | undefined {
    const markup = params.reply_markup
    if (markup === undefined || markup === null) return undefined
    if (typeof markup !== 'object') throw badRequest("can't parse reply keyboard markup JSON object")
    const rows = (markup as { inline_keyboard?: unknown }).inline_keyboard
    if (rows === undefined) return undefined // reply keyboards and force_reply: accepted, not modelled
    if (!Array.isArray(rows) || !rows.every(Array.isArray)) throw badRequest('field "inline_keyboard" must be an Array')
    for (const row of rows as unknown[][]) {
      for (const b of row) {
        const button = b as { text?: unknown; callback_data?: unknown; url?: unknown }
        if (typeof button.text !== 'string' || button.text === '') throw badRequest('text buttons are unallowed in the inline keyboard')
        if (button.callback_data !== undefined) {
          const bytes = typeof button.callback_data === 'string' ? Buffer.byteLength(button.callback_data) : 0
          if (bytes < 1 || bytes > 64) throw badRequest('BUTTON_DATA_INVALID')
        } else if (typeof button.url !== 'string') {
          throw badRequest('inline keyboard button must have exactly one of the optional fields')
        }
      }
    }
    return markup as InlineKeyboardMarkup
  }

  function commandsKey(params: Record<string, unknown>): string {
    const scope = params.scope as { type?: string } | undefined
    return `${JSON.stringify(scope ?? { type: 'default' })}|${str(params, 'language_code') ?? ''}`
  }

  // ---- methods ------------------------------------------------------------------------------

  type Handler = (params: Record<string, unknown>, res: ServerResponse) => unknown | Promise<unknown>

  const methods: Record<string, Handler> = {
    getme: () => botUser,
    logout: () => true,
    deletewebhook: (p) => {
      if (bool(p, 'drop_pending_updates')) queue.length = 0
      return true
    },
    getwebhookinfo: () => ({ url: '', has_custom_certificate: false, pending_update_count: queue.length }),
    getupdates: (p, res) => {
      const offset = int(p, 'offset') ?? 0
      const limit = Math.min(100, Math.max(1, int(p, 'limit') ?? 100))
      const timeout = Math.max(0, int(p, 'timeout') ?? 0)
      if (p.allowed_updates !== undefined && p.allowed_updates !== null) {
        if (!Array.isArray(p.allowed_updates)) throw badRequest('field "allowed_updates" must be an Array')
        allowedUpdates = p.allowed_updates.length > 0 ? new Set(p.allowed_updates.map(String)) : null
      }
      // Confirm: updates below a positive offset are gone for good; a negative offset keeps the last -offset.
      if (offset > 0) {
        while (queue.length > 0 && (queue[0]?.update_id ?? Infinity) < offset) queue.shift()
      } else if (offset < 0) {
        queue.splice(0, Math.max(0, queue.length + offset))
      }
      // A newer getUpdates terminates the pending one, as Telegram does.
      poll.waiter?.respond(new ApiError(409, 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running'))
      const effectiveOffset = offset > 0 ? offset : 0
      const ready = deliverable(effectiveOffset, limit, allowedUpdates)
      if (ready.length > 0 || timeout === 0 || closed) return ready
      return new Promise<Update[]>((resolve, reject) => {
        const waiter: Waiter = {
          offset: effectiveOffset,
          limit,
          allowed: allowedUpdates,
          respond: (error, updates) => {
            if (poll.waiter !== waiter) return
            poll.waiter = null
            clearTimeout(timer)
            res.off('close', onClose)
            if (error) reject(error)
            else resolve(updates ?? [])
          },
        }
        const timer = setTimeout(() => waiter.respond(null, []), timeout * 1000)
        // The client gave up (grammY aborts the pending poll on bot.stop()): forget the waiter.
        const onClose = () => {
          if (poll.waiter === waiter) {
            poll.waiter = null
            clearTimeout(timer)
          }
        }
        res.on('close', onClose)
        poll.waiter = waiter
      })
    },
    sendmessage: (p) => {
      const chat = chatFor(p)
      checkNotBlocked(chat)
      const text = checkText(str(p, 'text'))
      const parse_mode = checkParseMode(p, text)
      const reply_markup = checkMarkup(p)
      admitSend(chat.id)
      const s: SentMessage = {
        message_id: newMessageId(chat.id),
        chat_id: chat.id,
        text,
        ...(parse_mode ? { parse_mode } : {}),
        ...(reply_markup ? { reply_markup } : {}),
        date: now(),
        history: [],
      }
      sentList.push(s)
      sentByKey.set(`${chat.id}:${s.message_id}`, s)
      return messageOf(s)
    },
    editmessagetext: (p) => {
      if (p.inline_message_id !== undefined) throw badRequest('inline messages are not supported by the local server')
      const chat = chatFor(p)
      const messageId = int(p, 'message_id', true)
      const s = sentByKey.get(`${chat.id}:${messageId}`)
      if (!s) throw badRequest('message to edit not found')
      checkNotBlocked(chat)
      const text = checkText(str(p, 'text'))
      const parse_mode = checkParseMode(p, text)
      const reply_markup = checkMarkup(p)
      if (text === s.text && JSON.stringify(reply_markup) === JSON.stringify(s.reply_markup)) {
        throw badRequest(
          'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
        )
      }
      admitSend(chat.id)
      s.history.push(s.text)
      s.text = text
      if (parse_mode) s.parse_mode = parse_mode
      else delete s.parse_mode
      // Like Telegram: an edit without reply_markup removes the inline keyboard.
      if (reply_markup) s.reply_markup = reply_markup
      else delete s.reply_markup
      s.edit_date = now()
      return messageOf(s)
    },
    answercallbackquery: (p) => {
      const id = str(p, 'callback_query_id')
      if (!id) throw badRequest('query_id is empty')
      if (!openCallbacks.has(id)) throw badRequest('query is too old and response timeout expired or query ID is invalid')
      openCallbacks.delete(id)
      const text = str(p, 'text')
      if (text !== undefined && text.length > 200) throw badRequest('MESSAGE_TOO_LONG')
      const url = str(p, 'url')
      answers.push({
        callback_query_id: id,
        ...(text !== undefined ? { text } : {}),
        ...(bool(p, 'show_alert') ? { show_alert: true } : {}),
        ...(url !== undefined ? { url } : {}),
      })
      return true
    },
    setmycommands: (p) => {
      const list = p.commands
      if (!Array.isArray(list)) throw badRequest('field "commands" must be an Array')
      if (list.length > 100) throw badRequest('too many commands')
      const parsed: BotCommand[] = list.map((c: unknown) => {
        const { command, description } = (c ?? {}) as { command?: unknown; description?: unknown }
        if (typeof command !== 'string' || !/^[a-z0-9_]{1,32}$/.test(command)) throw badRequest('BOT_COMMAND_INVALID')
        if (typeof description !== 'string' || description.length < 1 || description.length > 256) {
          throw badRequest('BOT_COMMAND_DESCRIPTION_INVALID')
        }
        return { command, description }
      })
      commands.set(commandsKey(p), parsed)
      return true
    },
    getmycommands: (p) => commands.get(commandsKey(p)) ?? [],
    deletemycommands: (p) => {
      commands.delete(commandsKey(p))
      return true
    },
  }

  // ---- HTTP ---------------------------------------------------------------------------------

  async function readParams(req: IncomingMessage, url: URL): Promise<Record<string, unknown>> {
    const params: Record<string, unknown> = Object.fromEntries(url.searchParams)
    if (req.method !== 'POST') return decodeJsonFields(params)
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const raw = Buffer.concat(chunks)
    if (raw.length === 0) return decodeJsonFields(params)
    const type = (req.headers['content-type'] ?? '').toLowerCase()
    if (type.startsWith('application/json')) {
      let body: unknown
      try {
        body = JSON.parse(raw.toString('utf8'))
      } catch {
        throw badRequest("can't parse JSON")
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest("can't parse JSON")
      return { ...params, ...(body as Record<string, unknown>) }
    }
    if (type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data')) {
      const form = await new Request('http://local/', {
        method: 'POST',
        headers: { 'content-type': req.headers['content-type'] ?? '' },
        body: raw,
      })
        .formData()
        .catch(() => {
          throw badRequest("can't parse request body")
        })
      for (const [key, value] of form) params[key] = typeof value === 'string' ? value : '[file]'
      return decodeJsonFields(params)
    }
    throw badRequest('unsupported content type')
  }

  function decodeJsonFields(params: Record<string, unknown>): Record<string, unknown> {
    for (const key of JSON_FIELDS) {
      const v = params[key]
      if (typeof v !== 'string') continue
      try {
        params[key] = JSON.parse(v)
      } catch {
        throw badRequest(`can't parse ${key} JSON object`)
      }
    }
    return params
  }

  function send(res: ServerResponse, status: number, body: unknown): void {
    if (res.writableEnded || res.destroyed) return
    const text = JSON.stringify(body)
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
    res.end(text)
  }

  function sendError(res: ServerResponse, e: ApiError): void {
    send(res, e.code, {
      ok: false,
      error_code: e.code,
      description: e.description,
      ...(e.parameters ? { parameters: e.parameters } : {}),
    })
  }

  /** The test hooks over HTTP, for `npm run chat` and other processes (127.0.0.1 only, like the server). */
  async function handleDevnet(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const hooksNow = hooks
    try {
      const path = url.pathname.slice('/_devnet/'.length)
      if (req.method === 'GET' && path === 'sent') {
        const chat = url.searchParams.get('chat_id')
        return send(res, 200, { ok: true, result: hooksNow.sent(chat === null ? undefined : Number(chat)) })
      }
      if (req.method === 'GET' && path === 'answers') return send(res, 200, { ok: true, result: hooksNow.callbackAnswers() })
      if (req.method === 'POST' && (path === 'inject/message' || path === 'inject/callback')) {
        const body = (await readParams(req, url)) as Record<string, unknown>
        const from = body.from as { id?: unknown } | undefined
        if (!from || typeof from.id !== 'number') throw badRequest('from.id (a number) is required')
        if (path === 'inject/message') {
          if (typeof body.text !== 'string' || body.text === '') throw badRequest('text is required')
          return send(res, 200, { ok: true, result: hooksNow.injectMessage(body as unknown as Parameters<BotApiServer['injectMessage']>[0]) })
        }
        if (typeof body.messageId !== 'number' || typeof body.data !== 'string') throw badRequest('messageId (a number) and data (a string) are required')
        try {
          return send(res, 200, { ok: true, result: hooksNow.injectCallback(body as unknown as Parameters<BotApiServer['injectCallback']>[0]) })
        } catch (e) {
          throw badRequest(e instanceof Error ? e.message : String(e))
        }
      }
      throw new ApiError(404, 'Not Found: devnet hook not found')
    } catch (e) {
      sendError(res, e instanceof ApiError ? e : new ApiError(500, 'Internal Server Error'))
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    if (url.pathname.startsWith('/_devnet/')) return handleDevnet(req, res, url)
    const match = /^\/bot([^/]+)\/([A-Za-z_]+)$/.exec(url.pathname)
    if (!match) return sendError(res, new ApiError(404, 'Not Found'))
    if (match[1] !== token) return sendError(res, new ApiError(401, 'Unauthorized'))
    const methodName = match[2] ?? ''
    const method = methodName.toLowerCase()
    const record: RecordedCall = { method: methodName, params: {} }
    try {
      const handler = methods[method]
      if (!handler) throw new ApiError(404, 'Not Found: method not found')
      record.params = await readParams(req, url)
      callLog.push(record)
      notify()
      if (fault && (fault.method === '*' || fault.method.toLowerCase() === method)) {
        const f = fault
        f.left -= 1
        if (f.left <= 0) fault = null
        throw f.status === 429
          ? new ApiError(429, `Too Many Requests: retry after ${f.retryAfter}`, { retry_after: f.retryAfter })
          : new ApiError(500, 'Internal Server Error')
      }
      const result = await handler(record.params, res)
      send(res, 200, { ok: true, result })
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError(500, 'Internal Server Error')
      record.error_code = err.code
      sendError(res, err)
    } finally {
      notify()
    }
  }

  const server: Server = createServer((req, res) => {
    void handle(req, res)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port

  const hooks: BotApiServer = {
    url: `http://127.0.0.1:${port}`,
    port,
    token,
    botUser,
    injectMessage({ from, chat, text }) {
      const user = userOf(from)
      const c = addChat(chat ?? { id: user.id, type: 'private', first_name: user.first_name, ...(user.username ? { username: user.username } : {}) })
      const entities = commandEntities(text)
      const message = {
        message_id: newMessageId(c.id),
        from: user,
        chat: c,
        date: now(),
        text,
        ...(entities ? { entities } : {}),
      } as Message
      return pushUpdate({ message } as Omit<Update, 'update_id'>)
    },
    injectCallback({ from, chat, messageId, data }) {
      const user = userOf(from)
      const chatId = chat?.id ?? user.id
      const s = sentByKey.get(`${chatId}:${messageId}`)
      if (!s) throw new Error(`injectCallback: the bot sent no message ${messageId} in chat ${chatId}`)
      const id = String(nextCallbackId++)
      openCallbacks.add(id)
      const callback_query = {
        id,
        from: user,
        message: messageOf(s),
        chat_instance: String(chatId),
        data,
      } as CallbackQuery
      return pushUpdate({ callback_query } as Omit<Update, 'update_id'>)
    },
    sent: (chatId) => sentList.filter((s) => chatId === undefined || s.chat_id === chatId).map((s) => ({ ...s, history: [...s.history] })),
    callbackAnswers: () => [...answers],
    calls: (method) => callLog.filter((c) => method === undefined || c.method.toLowerCase() === method.toLowerCase()),
    setFault(f) {
      fault = f ? { ...f, left: f.times ?? 1 } : null
    },
    addChat(chat) {
      addChat(chat)
    },
    blockChat(chatId, isBlocked = true) {
      if (isBlocked) blocked.add(chatId)
      else blocked.delete(chatId)
    },
    waitFor(predicate, timeoutMs = 5_000) {
      if (predicate()) return Promise.resolve()
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!predicate()) return
          watchers.delete(check)
          clearTimeout(timer)
          resolve()
        }
        const timer = setTimeout(() => {
          watchers.delete(check)
          reject(new Error(`waitFor: condition not met within ${timeoutMs} ms`))
        }, timeoutMs)
        watchers.add(check)
      })
    },
    async close() {
      if (closed) return
      closed = true
      poll.waiter?.respond(null, [])
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeIdleConnections()
        setImmediate(() => server.closeAllConnections())
      })
    },
  }
  return hooks
}

const HTML_TAGS = new Set(['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'span', 'tg-spoiler', 'a', 'code', 'pre', 'blockquote', 'tg-emoji'])

/**
 * Telegram's HTML parse mode, checked the way it refuses: only its tags, properly nested, `<`, `>`
 * and `&` escaped elsewhere (named entities lt, gt, amp, quot and numeric ones). Returns the
 * problem, or null.
 */
export function htmlProblem(text: string): string | null {
  const stack: string[] = []
  const token = /<(\/?)([A-Za-z][A-Za-z0-9-]*)((?:\s[^<>]*)?)>|&(#\d+|#x[0-9a-fA-F]+|[A-Za-z]+);|[<>&]/g
  for (const m of text.matchAll(token)) {
    const at = Buffer.byteLength(text.slice(0, m.index ?? 0))
    const [whole, closing, rawTag, , entity] = m
    if (rawTag !== undefined) {
      const tag = rawTag.toLowerCase()
      if (!HTML_TAGS.has(tag)) return `Unsupported start tag "${tag}" at byte offset ${at}`
      if (closing) {
        if (stack.pop() !== tag) return `Unmatched end tag at byte offset ${at}, expected "</${stack.at(-1) ?? ''}>", found "</${tag}>"`
      } else {
        stack.push(tag)
      }
    } else if (entity !== undefined) {
      if (!entity.startsWith('#') && !['lt', 'gt', 'amp', 'quot'].includes(entity)) {
        return `Unsupported HTML entity "&${entity};" at byte offset ${at}`
      }
    } else {
      // Telegram's docs: every <, > and & outside a tag or entity must be escaped.
      return `Unexpected "${whole}" at byte offset ${at}`
    }
  }
  if (stack.length > 0) return `Can't find end tag corresponding to start tag "${stack.at(-1)}"`
  return null
}

/** The plain text Telegram returns for an HTML message: tags removed, entities decoded. */
export function plainFromHtml(text: string): string {
  return text
    .replace(/<[^<>]*>/g, '')
    .replace(/&(#\d+|#x[0-9a-fA-F]+|lt|gt|amp|quot);/g, (_, e: string) =>
      e === 'lt' ? '<' : e === 'gt' ? '>' : e === 'amp' ? '&' : e === 'quot' ? '"' : String.fromCodePoint(e.startsWith('#x') ? parseInt(e.slice(2), 16) : Number(e.slice(1))),
    )
}
