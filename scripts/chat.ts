/**
 * `npm run chat [-- --as <name>] [--chat <name>]`: a terminal chat with the devnet's bot, as a
 * configured Telegram user (default: the first operator). It talks HTTP to the local Bot API
 * server's hooks (inject a message or a button press, read what the bot sent), so the real bot
 * agent answers exactly as it would on Telegram. Type a command (`/help`), or the number of a
 * button to press it. `--chat committee` talks in a configured group chat instead of the
 * user's private chat. A word of a button's label (e.g. "confirm") presses the newest such button.
 * Ctrl-D or /quit leaves.
 */
import { createInterface } from 'node:readline/promises'
import { parseArgs } from 'node:util'
import { loadConfig } from '../config/load'
import { ConfigError, describeError } from '../core/errors'
import { quietOnClosedPipe } from './lib/cli'
import { plainFromHtml, type CallbackAnswer, type SentMessage } from '../devnet/telegram/botApi'

interface Button {
  n: number
  text: string
  data: string
  messageId: number
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { as: { type: 'string' }, chat: { type: 'string' }, help: { type: 'boolean', short: 'h' } } })
  if (values.help) return console.log('usage: npm run chat [-- --as <user>] [--chat <chat name>]')
  const config = loadConfig()
  const t = config.telegram
  if (t.mode !== 'devnet' || !t.apiRoot) {
    throw new ConfigError(['telegram: `npm run chat` talks to the devnet\'s local Bot API server; this config is not in devnet mode (on Telegram, just open the chat with your bot)'])
  }
  const user = values.as ? t.users.find((u) => u.name === values.as) : (t.users.find((u) => u.role === 'operator') ?? t.users[0])
  if (!user) throw new ConfigError([`telegram.users: no user "${values.as ?? 'operator'}" (known: ${t.users.map((u) => `${u.name} (${u.role})`).join(', ') || 'none'})`])
  const group = values.chat ? t.chats.find((c) => c.name === values.chat && c.id < 0) : undefined
  if (values.chat && !group) throw new ConfigError([`telegram.chats: no group chat "${values.chat}" (known: ${t.chats.filter((c) => c.id < 0).map((c) => c.name ?? c.id).join(', ') || 'none'})`])
  const chatId = group?.id ?? user.id
  const root = t.apiRoot
  const from = { id: user.id, username: user.name, first_name: user.name }
  const chat = group ? { id: group.id, type: 'supergroup', title: group.name ?? String(group.id) } : undefined

  async function call<T>(path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${root}/_devnet/${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    const json = (await res.json()) as { ok: boolean; result?: T; description?: string }
    if (!json.ok) throw new Error(json.description ?? `HTTP ${res.status}`)
    return json.result as T
  }

  try {
    await call<SentMessage[]>(`sent?chat_id=${chatId}`)
  } catch (err) {
    throw new ConfigError([`telegram.apiRoot: the local Bot API server at ${root} does not answer (${describeError(err)}): is the devnet running? \`npm start\``])
  }

  const buttons: Button[] = []
  const shown = new Map<number, string>()
  const seenAnswers = new Set<string>()
  const pendingAnswers = new Set<string>()
  const out = (line: string) => {
    process.stdout.write(`\r\x1b[K${line}\n`)
    rl.prompt(true)
  }
  const render = (m: SentMessage) => {
    const text = m.parse_mode === 'HTML' ? plainFromHtml(m.text) : m.text
    const lines = [`${m.edit_date ? '✎ ' : ''}bot › ${text.split('\n').join('\n      ')}`]
    const row = m.reply_markup?.inline_keyboard.flat() ?? []
    const labels: string[] = []
    for (const b of row) {
      if (!('callback_data' in b) || !b.callback_data) continue
      const n = buttons.length + 1
      buttons.push({ n, text: b.text, data: b.callback_data, messageId: m.message_id })
      labels.push(`[${n}] ${b.text}`)
    }
    if (labels.length) lines.push(`      ${labels.join('   ')}   (type the number to press)`)
    return lines.join('\n')
  }

  async function refresh(initial = false): Promise<void> {
    const sent = await call<SentMessage[]>(`sent?chat_id=${chatId}`)
    const recent = initial ? sent.slice(-5) : sent
    if (initial) for (const m of sent.slice(0, -5)) shown.set(m.message_id, `${m.text}|${m.edit_date ?? 0}`)
    for (const m of recent) {
      const key = `${m.text}|${m.edit_date ?? 0}|${JSON.stringify(m.reply_markup ?? null)}`
      if (shown.get(m.message_id) === key) continue
      shown.set(m.message_id, key)
      out(render(m))
    }
    if (pendingAnswers.size) {
      for (const a of await call<CallbackAnswer[]>('answers')) {
        if (!pendingAnswers.has(a.callback_query_id) || seenAnswers.has(a.callback_query_id)) continue
        seenAnswers.add(a.callback_query_id)
        pendingAnswers.delete(a.callback_query_id)
        if (a.text) out(`bot › (button) ${a.text}`)
      }
    }
  }

  const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: `${user.name} › ` })
  // Take lines from now on (piped input arrives at once: without this, lines read during the first refresh are lost).
  const lines = rl[Symbol.asyncIterator]()
  console.log(`Chatting with the devnet bot as ${user.name} (${user.role}) in ${group ? `the group "${group.name}"` : 'a private chat'}. /help lists the commands; a button's number (or a word of its label, e.g. "confirm") presses it; Ctrl-D leaves.`)
  await refresh(true)
  rl.prompt()
  let stopped = false
  const poller = (async () => {
    while (!stopped) {
      await refresh().catch((err: unknown) => out(`! ${describeError(err)}`))
      await new Promise((r) => setTimeout(r, 300))
    }
  })()

  for await (const line of { [Symbol.asyncIterator]: () => lines }) {
    const text = line.trim()
    if (text === '/quit' || text === '/exit') break
    if (text === '') {
      rl.prompt()
      continue
    }
    try {
      // A number presses that button; a word from a button's label ("confirm", "approve") presses the newest such button.
      const byLabel = !text.startsWith('/') && !/^\d+$/.test(text) ? buttons.filter((x) => x.text.toLowerCase().includes(text.toLowerCase())).at(-1) : undefined
      if (/^\d+$/.test(text) || byLabel) {
        const b = byLabel ?? buttons.find((x) => x.n === Number(text))
        if (!b) out(`! no button ${text}`)
        else {
          out(`(pressed [${b.n}] ${b.text})`)
          const update = await call<{ callback_query?: { id: string } }>('inject/callback', { from, ...(chat ? { chat } : {}), messageId: b.messageId, data: b.data })
          if (update.callback_query) pendingAnswers.add(update.callback_query.id)
        }
      } else {
        await call('inject/message', { from, ...(chat ? { chat } : {}), text })
      }
    } catch (err) {
      out(`! ${describeError(err)}`)
    }
    rl.prompt()
  }
  stopped = true
  await poller
  rl.close()
}

quietOnClosedPipe()
main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : `chat: ${describeError(err)}`)
  process.exit(1)
})
