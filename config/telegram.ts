import { z } from 'zod'

/**
 * `config.telegram`: the bot, who may talk to it (users with a role), where alerts go (chats),
 * and the delivery limits. The token is never here: live, it comes from the env var named by
 * `tokenEnv` (or `${tokenEnv}_FILE`); in devnet mode the local Bot API server's well-known token
 * is used and no secret is needed. The section's schema lives in config/ (like wormhole.ts) so
 * the config imports nothing of the bot; telegram/config.ts turns it into a connection.
 */

export const TELEGRAM_ROLES = ['viewer', 'operator', 'committee'] as const
export type TelegramRole = (typeof TELEGRAM_ROLES)[number]
export const ALERT_SEVERITIES = ['info', 'warning', 'critical'] as const

const userName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, { error: 'use lower-case letters, digits, "-" and "_" (at most 32), e.g. "alice"' })

export const telegramUser = z.object({
  /** The Telegram user id (a number; @userinfobot shows yours). */
  id: z.number({ error: 'expected the numeric Telegram user id (e.g. 123456789), not a @username' }).int().positive(),
  /** Who this is in poolwarden: audit entries and committee decisions carry this name. */
  name: userName,
  /** viewer: read; operator: read, pause/resume, mute; committee: read, approve/reject plans. */
  role: z.enum(TELEGRAM_ROLES, { error: `unknown role: use one of ${TELEGRAM_ROLES.map((r) => `"${r}"`).join(', ')}` }),
  /** Committee role only: the member name in `strategy.committee.members` (default: `name`). */
  member: z.string().min(1).optional(),
})

export const telegramChat = z.object({
  /** Chat id: a user's id for a private chat, negative for groups (e.g. -1001234567890). */
  id: z.number({ error: 'expected the numeric Telegram chat id (negative for groups)' }).int().refine((n) => n !== 0, { error: 'a chat id is never 0' }),
  /** A label for logs. */
  name: z.string().min(1).max(64).optional(),
  /** The alert severities sent to this chat at once. */
  alerts: z.array(z.enum(ALERT_SEVERITIES, { error: 'unknown severity: use "info", "warning" or "critical"' })).default(['warning', 'critical']),
  /** Low-severity (info) alerts arrive here as one digest every `delivery.digestIntervalSeconds`. */
  digest: z.boolean().default(true),
  /**
   * A committee chat: it receives the committee's plan notifications (rules "committee-*": approval
   * reached, execution started, each step confirmed, completed/failed/stopped, expired) at once,
   * whatever its `alerts` and `rules`; other chats never receive them.
   */
  committee: z.boolean().default(false),
  /** Only alerts of these rules (e.g. ["plan", "plan-failed"] for a committee group); all when omitted. */
  rules: z.array(z.string().regex(/^[a-z0-9][a-z0-9-]{0,40}$/, { error: 'an alert rule name like "plan" or "apy-drop"' })).min(1).optional(),
})

export const telegramDelivery = z.object({
  /** How often the outbox is read, ms. */
  pollMs: z.number().int().min(100).default(2_000),
  /** A repeat of the same condition (same dedup key and kind) within this window is not sent again. */
  dedupWindowSeconds: z.number().int().nonnegative().default(600),
  /** Info alerts for digest chats are gathered and sent at most this often. */
  digestIntervalSeconds: z.number().int().positive().default(900),
  /** Attempts per alert and chat before it is given up (marked failed; the row stays in the store). */
  maxAttempts: z.number().int().positive().default(10),
})

export const telegramRateLimits = z.object({
  /** Messages per second over all chats (Telegram: about 30). */
  globalPerSecond: z.number().int().positive().max(30, { error: 'Telegram allows about 30 messages per second: use 30 or less' }).default(25),
  /** Messages per minute to one group (Telegram: 20). */
  groupPerMinute: z.number().int().positive().max(20, { error: 'Telegram allows 20 messages per minute in a group: use 20 or less' }).default(18),
  /** Minimum gap between two messages to one private chat, ms (Telegram: about 1 per second). */
  privateMinGapMs: z.number().int().nonnegative().default(1_000),
  /** auto-retry: give up when Telegram asks to wait longer than this. */
  maxRetryAfterSeconds: z.number().int().positive().default(60),
})

export const telegramConfig = z.object({
  /** The telegram agent does nothing (and needs no token) while false. */
  enabled: z.boolean().default(false),
  /** live: api.telegram.org (or `apiRoot`) with a token from the environment; devnet: the local Bot API server, no token. */
  mode: z.enum(['live', 'devnet'], { error: 'use "live" or "devnet"' }).default('live'),
  /** Env var holding the bot token (from @BotFather); `${tokenEnv}_FILE` may name a file instead. */
  tokenEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { error: 'an env var name like "POOLWARDEN_TELEGRAM_TOKEN"' }).default('POOLWARDEN_TELEGRAM_TOKEN'),
  /** Bot API root without a trailing slash (default https://api.telegram.org; a local Bot API server in devnet mode). */
  apiRoot: z
    .url({ error: 'expected an http(s) URL like "https://api.telegram.org"' })
    .refine((u) => !u.endsWith('/'), { error: 'remove the trailing "/" (grammY appends "/bot<token>/<method>")' })
    .optional(),
  users: z.array(telegramUser).default([]),
  chats: z.array(telegramChat).default([]),
  /** A confirmation button works this long. */
  confirmTtlSeconds: z.number().int().min(10).max(3_600).default(120),
  delivery: telegramDelivery.prefault({}),
  rateLimits: telegramRateLimits.prefault({}),
})

export type TelegramConfig = z.output<typeof telegramConfig>
export type TelegramUser = TelegramConfig['users'][number]
export type TelegramChat = TelegramConfig['chats'][number]

export interface TelegramIssue {
  path: (string | number)[]
  message: string
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : [])

/**
 * Checks that involve other fields: unique user ids and names, unique chat ids, committee users
 * naming a member of `strategy.committee.members`, devnet mode on a local apiRoot, enabled
 * live mode with someone to talk to. Lenient like config/schema.ts crossFieldIssues (reads raw
 * JSON, skips malformed fields). Paths are from the config root.
 */
export function telegramCrossFieldIssues(input: unknown): TelegramIssue[] {
  const out: TelegramIssue[] = []
  if (!isRecord(input) || !isRecord(input.telegram)) return out
  const t = input.telegram
  const strategy = isRecord(input.strategy) ? input.strategy : {}
  const committee = isRecord(strategy.committee) ? list(strategy.committee.members).filter((m): m is string => typeof m === 'string') : []
  const ids = new Map<number, number>()
  const names = new Map<string, number>()
  list(t.users).forEach((u, i) => {
    if (!isRecord(u)) return
    if (typeof u.id === 'number') {
      const prev = ids.get(u.id)
      if (prev !== undefined) out.push({ path: ['telegram', 'users', i, 'id'], message: `duplicate user id ${u.id} (also telegram.users[${prev}]): one entry per Telegram user` })
      else ids.set(u.id, i)
    }
    if (typeof u.name === 'string') {
      const prev = names.get(u.name)
      if (prev !== undefined) out.push({ path: ['telegram', 'users', i, 'name'], message: `duplicate user name "${u.name}" (also telegram.users[${prev}]): names must be unique` })
      else names.set(u.name, i)
    }
    if (u.role === 'committee') {
      const member = typeof u.member === 'string' ? u.member : u.name
      if (typeof member === 'string' && !committee.includes(member)) {
        out.push({
          path: ['telegram', 'users', i, u.member !== undefined ? 'member' : 'name'],
          message: `committee user "${member}" is not in strategy.committee.members (${committee.join(', ') || 'none configured'}): add them there or set "member" to their member name`,
        })
      }
    } else if (u.member !== undefined) {
      out.push({ path: ['telegram', 'users', i, 'member'], message: `"member" is only for role "committee": remove it or set "role": "committee"` })
    }
  })
  const chatIds = new Map<number, number>()
  list(t.chats).forEach((c, i) => {
    if (!isRecord(c) || typeof c.id !== 'number') return
    const prev = chatIds.get(c.id)
    if (prev !== undefined) out.push({ path: ['telegram', 'chats', i, 'id'], message: `duplicate chat id ${c.id} (also telegram.chats[${prev}]): one entry per chat` })
    else chatIds.set(c.id, i)
  })
  if (t.mode === 'devnet' && typeof t.apiRoot === 'string') {
    const host = safeHost(t.apiRoot)
    if (host && !['127.0.0.1', 'localhost', '[::1]'].includes(host)) {
      out.push({ path: ['telegram', 'apiRoot'], message: `devnet mode talks to a local Bot API server, not ${host}: use "mode": "live" with a token, or a 127.0.0.1 apiRoot` })
    }
  }
  if (t.mode === 'devnet' && t.enabled === true && t.apiRoot === undefined) {
    out.push({ path: ['telegram', 'mode'], message: 'devnet mode needs "apiRoot": add the local Bot API server\'s URL (e.g. "http://127.0.0.1:8581")' })
  }
  return out
}

function safeHost(url: string): string | undefined {
  try {
    return new URL(url).hostname
  } catch {
    return undefined
  }
}

/** The committee member name of a configured user, if they are on the committee. */
export const memberOf = (u: TelegramUser): string | undefined => (u.role === 'committee' ? u.member ?? u.name : undefined)
