import { randomBytes } from 'node:crypto'
import type { APIThrottlerOptions } from '@grammyjs/transformer-throttler'
import type { Bot, Context, NextFunction } from 'grammy'
import type { InlineKeyboardMarkup } from 'grammy/types'
import type { Config } from '../config/schema.js'
import { describeError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import { recordDecision } from '../plans/decide.js'
import { releaseRefusal, releaseTransfer } from '../execution/releaseTransfer.js'
import { PAUSE_ALL, pauseKey, type Store } from '../store/index.js'
import type { Callback } from '../store/telegram.js'
import { parseDuration, parseId, parseName, quote, words, formatDuration, type Parsed } from './args.js'
import { can, COMMAND_PERMISSION, identify, ROLE_FOR } from './auth.js'
import { COMMANDS, commandsFor, helpText } from './commands.js'
import { memberOf, type TelegramConfig, type TelegramUser } from './config.js'
import { createBot, describeBotError } from './createBot.js'
import { NO_GOVERNANCE, type GovernanceReader } from './governance.js'
import { alertsText, clip, MUTE_PREFIX, planLine, plansText, planText, positionsText, safeApprovalText, statusText, transfersText, yieldsText } from './views.js'

/**
 * The poolwarden bot: every update passes the authorisation gate (configured user, allowed
 * chat; anyone else gets nothing and is audited), every command is audited, destructive
 * commands (approve, reject, pause, resume) ask for a confirmation button that is single-use,
 * expires and works only for the user who asked. Button data is a random nonce looked up in the
 * store: anything else is refused as forged. Decisions go through plans/decide.ts (the rows the
 * plan CLI writes, via 'telegram'); pauses through the store's controls.
 */

export interface TelegramBotDeps {
  config: Config
  store: Store
  logger: Logger
  token: string
  apiRoot?: string
  governance?: GovernanceReader
  now?: () => number
  /** What /pause and /resume accept besides "all" (default: executor, strategist, governor, telegram and watcher-<chain>). */
  agents?: readonly string[]
  /** auto-retry attempts (tests lower it). */
  maxRetryAttempts?: number
}

/** Alert rules /mute accepts besides any rule seen in the outbox. */
export const KNOWN_RULES = ['apy-drop', 'depeg', 'paused', 'liquidity', 'unavailable', 'slashing', 'rpc', 'gap', 'plan', 'plan-failed', 'gas-balance', 'tx-stuck'] as const

export type DestructiveAction = 'approve' | 'reject' | 'pause' | 'resume' | 'release'
const DESTRUCTIVE: readonly string[] = ['approve', 'reject', 'pause', 'resume', 'release']

interface Reply {
  text: string
  markup?: InlineKeyboardMarkup
  outcome: 'ok' | 'refused' | 'confirm' | 'error'
}

const refused = (text: string): Reply => ({ text, outcome: 'refused' })
const okReply = (text: string): Reply => ({ text, outcome: 'ok' })

/** A callback nonce: 128 random bits, url-safe (22 characters). */
export const newNonce = (): string => randomBytes(16).toString('base64url')

/** transformer-throttler settings from config: global per second, per group per minute, per private chat gap. */
export function throttleOptions(r: TelegramConfig['rateLimits']): APIThrottlerOptions {
  return {
    global: { reservoir: r.globalPerSecond, reservoirRefreshAmount: r.globalPerSecond, reservoirRefreshInterval: 1_000 },
    group: { maxConcurrent: 1, reservoir: r.groupPerMinute, reservoirRefreshAmount: r.groupPerMinute, reservoirRefreshInterval: 60_000 },
    out: { maxConcurrent: 1, minTime: r.privateMinGapMs },
  }
}

export function defaultAgents(config: Config): string[] {
  return ['executor', 'strategist', 'governor', 'telegram', ...config.chains.map((c) => `watcher-${c.name}`)]
}

export function createTelegramBot(deps: TelegramBotDeps): Bot {
  const { config, store, logger } = deps
  const t = config.telegram
  const now = deps.now ?? Date.now
  const governance = deps.governance ?? NO_GOVERNANCE
  const agents = deps.agents ?? defaultAgents(config)
  const users = new WeakMap<object, TelegramUser>()
  const userOf = (ctx: Context): TelegramUser => {
    const u = users.get(ctx.update)
    if (!u) throw new Error('telegram: handler ran without an authorised user')
    return u
  }
  const actor = (u: TelegramUser) => `telegram:${u.name}`
  const audit = (actorName: string, action: string, detail: Record<string, unknown>) =>
    store.audit.append({ actor: actorName, action, detail, at: now() }).catch((err: unknown) => logger.error({ err: describeError(err) }, 'telegram: audit write failed'))

  /** Unknown users and chats get nothing; the attempt is audited. */
  const gate = async (ctx: Context, next: NextFunction) => {
    const who = identify(t, ctx.from, ctx.chat)
    if (!who.ok) {
      const text = ctx.message?.text ?? ctx.callbackQuery?.data ?? ''
      await audit(`telegram:unknown:${ctx.from?.id ?? 'none'}`, 'telegram.refused', {
        reason: who.reason,
        chat: ctx.chat?.id ?? null,
        username: ctx.from?.username ?? null,
        kind: ctx.callbackQuery ? 'button' : 'message',
        text: text.slice(0, 64),
      })
      logger.warn({ reason: who.reason, user: ctx.from?.id, chat: ctx.chat?.id }, 'telegram: refused an unknown user or chat')
      return
    }
    users.set(ctx.update, who.user)
    await next()
  }

  const bot = createBot({
    token: deps.token,
    apiRoot: deps.apiRoot,
    logger,
    maxRetryDelaySeconds: t.rateLimits.maxRetryAfterSeconds,
    maxRetryAttempts: deps.maxRetryAttempts,
    retryTransient: false,
    middleware: [gate],
    builtins: false,
    throttle: throttleOptions(t.rateLimits),
  })

  // ── destructive actions: preflight, confirmation, execution ───────────────────────────────

  async function preflightDecision(user: TelegramUser, planId: string, decision: 'approve' | 'reject'): Promise<Reply | { planLine: string }> {
    const member = memberOf(user)
    if (!member) return refused(`${decision}: needs the committee role`)
    const plan = await store.plans.get(planId)
    if (!plan) return refused(`no plan ${quote(planId)}: /plans lists them`)
    if (plan.status !== 'awaiting_approval') return refused(`plan ${planId} is ${plan.status.replace('_', ' ')}, not awaiting approval: nothing to decide`)
    // Custody "safe": approvals are owners' signatures of the Safe tx; the bot shows it, records nothing.
    if (config.custody.kind === 'safe' && plan.needsApproval) return okReply(await safeApprovalText(config, store, plan))
    const mine = (await store.approvals.list(planId)).find((a) => a.member === member)
    if (mine) return refused(`you already decided "${mine.decision}" on ${planId} (${mine.via}); a decision stands once made`)
    return { planLine: planLine(config, plan, (await store.approvals.count(planId)).approve) }
  }

  async function askConfirmation(ctx: Context, user: TelegramUser, action: DestructiveAction, args: Record<string, string>, what: string): Promise<Reply> {
    const nonce = newNonce()
    const chatId = ctx.chat?.id ?? user.id
    await store.telegram.createCallback({ nonce, kind: 'confirm', action, args, userId: user.id, chatId, expiresAt: now() + t.confirmTtlSeconds * 1000, at: now() })
    return {
      outcome: 'confirm',
      text: `Confirm: ${what}?\nOnly ${user.name} can press this; it expires in ${formatDuration(t.confirmTtlSeconds * 1000)} and works once.`,
      markup: { inline_keyboard: [[{ text: `✅ Confirm ${action}`, callback_data: `c:${nonce}` }, { text: '✖ Cancel', callback_data: `x:${nonce}` }]] },
    }
  }

  async function execute(user: TelegramUser, cb: Callback): Promise<string> {
    const args = (cb.args ?? {}) as Record<string, string>
    switch (cb.action) {
      case 'approve':
      case 'reject': {
        const member = memberOf(user)
        if (!member) return `${cb.action}: needs the committee role`
        const r = await recordDecision(store, { planId: String(args.planId), member, decision: cb.action, via: 'telegram', committee: config.strategy.committee, custody: config.custody.kind, at: now() })
        return r.message
      }
      case 'pause': {
        const target = String(args.agent)
        const key = target === 'all' ? PAUSE_ALL : pauseKey(target)
        await store.controls.set(key, { by: user.name, via: 'telegram' }, actor(user), now())
        await audit(actor(user), 'control.pause', { key })
        return `paused ${target === 'all' ? 'every agent' : target} (/resume ${target} undoes it)`
      }
      case 'resume': {
        const target = String(args.agent)
        const key = target === 'all' ? PAUSE_ALL : pauseKey(target)
        const cleared = await store.controls.clear(key)
        await audit(actor(user), 'control.resume', { key, cleared })
        const still = target !== 'all' && (await store.controls.isPaused(target)) ? ' — still paused by "pause all": /resume all' : ''
        return cleared ? `resumed ${target === 'all' ? 'every agent' : target}${still}` : `${target} was not paused${still}`
      }
      case 'release': {
        // Operators only (the command's permission), checked again at the button.
        if (!can(user, 'operate')) return 'release: needs the operator role'
        const r = await releaseTransfer(store, { id: String(args.id), by: user.name, via: 'telegram', at: now() })
        return r.message
      }
      default:
        return `unknown action ${quote(cb.action)}: nothing done`
    }
  }

  // ── commands ──────────────────────────────────────────────────────────────────────────────

  const argsOf = (ctx: Context): string => (typeof ctx.match === 'string' ? ctx.match : '')

  const handlers: Record<string, (ctx: Context, user: TelegramUser) => Promise<Reply>> = {
    help: async (_ctx, user) => okReply(helpText(commandsFor(user.role))),
    start: async (_ctx, user) => okReply(helpText(commandsFor(user.role))),
    status: async () => okReply(await statusText(config, store, now())),
    yields: async (ctx) => {
      const w = words(argsOf(ctx), 1)
      if (!w.ok) return refused(`yields: ${w.error}`)
      let chain: string | undefined
      if (w.value[0] !== undefined) {
        const c = parseName(w.value[0], 'chain', config.chains.map((x) => x.name))
        if (!c.ok) return refused(`yields: ${c.error}`)
        chain = c.value
      }
      return okReply(await yieldsText(config, store, chain, now()))
    },
    positions: async (ctx) => {
      const w = words(argsOf(ctx), 0)
      if (!w.ok) return refused(`positions: ${w.error}`)
      return okReply(await positionsText(config, store, now()))
    },
    plans: async (ctx) => {
      const w = words(argsOf(ctx), 0)
      if (!w.ok) return refused(`plans: ${w.error}`)
      return okReply(await plansText(config, store))
    },
    plan: async (ctx) => {
      const id = oneId(argsOf(ctx), 'plan', '/plan <id>')
      if (!id.ok) return refused(`plan: ${id.error}`)
      const text = await planText(config, store, id.value)
      return text ? okReply(text) : refused(`no plan ${quote(id.value)}: /plans lists them`)
    },
    approve: (ctx, user) => decide(ctx, user, 'approve'),
    reject: (ctx, user) => decide(ctx, user, 'reject'),
    pause: (ctx, user) => pauseOrResume(ctx, user, 'pause'),
    resume: (ctx, user) => pauseOrResume(ctx, user, 'resume'),
    proposals: async (ctx) => {
      const w = words(argsOf(ctx), 0)
      if (!w.ok) return refused(`proposals: ${w.error}`)
      return okReply(clip(await governance.listProposals()))
    },
    tally: async (ctx) => {
      // The short id /proposals shows ("0x1a2b3c4d…") is accepted as typed, with or without its ellipsis.
      const id = oneId(argsOf(ctx).replace(/(…|\.\.\.)(?=\s|$)/, ''), 'proposal', '/tally <id>')
      if (!id.ok) return refused(`tally: ${id.error}`)
      const text = await governance.receipt(id.value)
      return text ? okReply(clip(text)) : refused(`no proposal ${quote(id.value)}: /proposals lists them`)
    },
    alerts: async (ctx) => {
      const w = words(argsOf(ctx), 0)
      if (!w.ok) return refused(`alerts: ${w.error}`)
      return okReply(await alertsText(store, now()))
    },
    transfers: async (ctx) => {
      const w = words(argsOf(ctx), 0)
      if (!w.ok) return refused(`transfers: ${w.error}`)
      return okReply(await transfersText(store))
    },
    release: async (ctx, user) => {
      const id = oneId(argsOf(ctx), 'transfer', '/release <transfer id>')
      if (!id.ok) return refused(`release: ${id.error}`)
      const refusal = releaseRefusal(id.value, await store.transfers.get(id.value))
      if (refusal) return refused(`release: ${refusal.replace('npm run transfers -- list', '/transfers')}`)
      return askConfirmation(ctx, user, 'release', { id: id.value }, `release held transfer ${id.value} (the executor retries its redeem)`)
    },
    mute: async (ctx, user) => {
      const w = words(argsOf(ctx), 2)
      if (!w.ok) return refused(`mute: ${w.error}`)
      const [ruleRaw, durationRaw] = w.value
      if (ruleRaw === undefined) return refused('mute: which rule? usage: /mute <rule> <duration> (e.g. /mute apy-drop 2h; /mute apy-drop off)')
      const seen = new Set<string>([...KNOWN_RULES, ...(await store.alerts.recent(200)).map((a) => a.rule)])
      const rule = parseName(ruleRaw, 'alert rule', [...seen].sort())
      if (!rule.ok) return refused(`mute: ${rule.error}`)
      const duration = parseDuration(durationRaw)
      if (!duration.ok) return refused(`mute: ${duration.error}`)
      const key = `${MUTE_PREFIX}${rule.value}`
      if (duration.value === 0) {
        const cleared = await store.controls.clear(key)
        await audit(actor(user), 'alerts.unmute', { rule: rule.value, cleared })
        return okReply(cleared ? `${rule.value} alerts are no longer muted` : `${rule.value} was not muted`)
      }
      const until = now() + duration.value
      await store.controls.set(key, { until, by: user.name }, actor(user), now())
      await audit(actor(user), 'alerts.mute', { rule: rule.value, until })
      return okReply(`${rule.value} alerts muted for ${formatDuration(duration.value)} (until ${new Date(until).toISOString()}); /mute ${rule.value} off undoes it`)
    },
  }

  function oneId(match: string, what: string, usage: string): Parsed<string> {
    const w = words(match, 1)
    if (!w.ok) return w
    return parseId(w.value[0], what, usage)
  }

  async function decide(ctx: Context, user: TelegramUser, decision: 'approve' | 'reject'): Promise<Reply> {
    const id = oneId(argsOf(ctx), 'plan', `/${decision} <id>`)
    if (!id.ok) return refused(`${decision}: ${id.error}`)
    return decisionPrompt(ctx, user, id.value, decision)
  }

  async function decisionPrompt(ctx: Context, user: TelegramUser, planId: string, decision: 'approve' | 'reject'): Promise<Reply> {
    const pre = await preflightDecision(user, planId, decision)
    if ('outcome' in pre) return pre
    return askConfirmation(ctx, user, decision, { planId }, `${decision} plan ${pre.planLine}`)
  }

  async function pauseOrResume(ctx: Context, user: TelegramUser, action: 'pause' | 'resume'): Promise<Reply> {
    const w = words(argsOf(ctx), 1)
    if (!w.ok) return refused(`${action}: ${w.error}`)
    const target = parseName(w.value[0] ?? 'all', 'agent', [...agents, 'all'])
    if (!target.ok) return refused(`${action}: ${target.error}`)
    const key = target.value === 'all' ? PAUSE_ALL : pauseKey(target.value)
    const current = await store.controls.get(key)
    const isSet = current !== undefined && current.value !== false && current.value !== null
    if (action === 'pause' && isSet) return refused(`${target.value} is already paused (by ${current.setBy})`)
    if (action === 'resume' && !isSet) return refused(`${target.value} is not paused: nothing to resume`)
    return askConfirmation(ctx, user, action, { agent: target.value }, `${action} ${target.value === 'all' ? 'every agent' : target.value}`)
  }

  async function send(ctx: Context, r: Reply): Promise<void> {
    await ctx.reply(r.text, r.markup ? { reply_markup: r.markup } : {})
  }

  for (const name of [...COMMANDS.map((c) => c.command), 'start']) {
    bot.command(name, async (ctx) => {
      const user = userOf(ctx)
      const need = COMMAND_PERMISSION[name] ?? 'operate'
      let r: Reply
      if (!can(user, need)) r = refused(`/${name} needs ${ROLE_FOR[need]}; you are ${user.role}`)
      else {
        const handler = handlers[name]
        try {
          r = handler ? await handler(ctx, user) : refused(`/${name} is not available`)
        } catch (err) {
          logger.error({ command: name, err: describeBotError(err, deps.token) }, 'telegram: command failed')
          r = { outcome: 'error', text: `/${name} failed: ${describeError(err).slice(0, 200)}${DESTRUCTIVE.includes(name) ? ' (nothing was changed)' : ''}` }
        }
      }
      await audit(actor(user), 'telegram.command', { command: name, args: argsOf(ctx).slice(0, 80), chat: ctx.chat?.id ?? null, outcome: r.outcome })
      await send(ctx, r)
    })
  }

  // Anything else in a message: unknown commands and plain text get a pointer to /help.
  bot.on('message', async (ctx) => {
    const user = userOf(ctx)
    const text = ctx.message.text ?? ''
    const command = /^\/([A-Za-z0-9_]{1,32})/.exec(text)?.[1]
    await audit(actor(user), 'telegram.command', { command: command ?? null, unknown: true, chat: ctx.chat.id, args: text.slice(0, 64) })
    await ctx.reply(command ? `unknown command /${command.slice(0, 32)}: /help lists the commands` : 'send /help for the commands')
  })

  // ── buttons ───────────────────────────────────────────────────────────────────────────────

  bot.on('callback_query:data', async (ctx) => {
    const user = userOf(ctx)
    const data = ctx.callbackQuery.data
    const m = /^([cxo]):([A-Za-z0-9_-]{16,60})$/.exec(data)
    const answer = (text: string) => ctx.answerCallbackQuery({ text: text.slice(0, 200) }).catch((err: unknown) => logger.warn({ err: describeBotError(err, deps.token) }, 'telegram: answerCallbackQuery failed'))
    const record = (outcome: string, detail: Record<string, unknown> = {}) => audit(actor(user), 'telegram.button', { outcome, chat: ctx.chat?.id ?? null, ...detail })
    if (!m) {
      await record('forged', { data: data.slice(0, 64) })
      return answer('refused: this button is not one of ours; nothing was changed')
    }
    const [, kind, nonce] = m as unknown as [string, 'c' | 'x' | 'o', string]
    if (kind === 'o') {
      const offer = await store.telegram.getCallback(nonce)
      if (!offer || offer.kind !== 'offer' || (offer.action !== 'approve' && offer.action !== 'reject')) {
        await record('forged', { data: data.slice(0, 64) })
        return answer('refused: unknown button; nothing was changed')
      }
      if (offer.expiresAt !== null && offer.expiresAt <= now()) {
        await record('expired', { action: offer.action })
        return answer(`expired: use /${offer.action} <plan id>`)
      }
      if (!can(user, 'decide')) {
        await record('refused', { action: offer.action, reason: 'role' })
        return answer(`${offer.action} needs the committee role; you are ${user.role}`)
      }
      const planId = String((offer.args as { planId?: unknown }).planId)
      const r = await decisionPrompt(ctx, user, planId, offer.action)
      await record(r.outcome, { action: offer.action, planId })
      if (r.outcome === 'confirm') await send(ctx, r)
      // Custody "safe": the Safe tx and its signatures do not fit a 200-character answer: sent below.
      const long = r.outcome === 'ok' && r.text.length > 200
      if (long) await send(ctx, r)
      await answer(r.outcome === 'confirm' ? 'confirm below' : long ? 'see below' : r.text)
      return
    }
    const result = await store.telegram.consumeConfirmation(nonce, user.id, now())
    if (result.status !== 'ok') {
      const why = {
        unknown: 'refused: unknown button; nothing was changed',
        'other-user': 'refused: this confirmation belongs to the user who asked for it',
        used: 'refused: this confirmation was already used',
        expired: `expired: send the command again`,
      }[result.status]
      await record(result.status === 'unknown' ? 'forged' : result.status, { data: data.slice(0, 64) })
      return answer(why)
    }
    const cb = result.callback
    if (kind === 'x') {
      await record('cancelled', { action: cb.action, args: cb.args })
      await ctx.editMessageText(`Cancelled: ${cb.action} — nothing was changed.`).catch(() => undefined)
      await answer('cancelled')
      return
    }
    let text: string
    try {
      text = await execute(user, cb)
      await record('done', { action: cb.action, args: cb.args, result: text })
    } catch (err) {
      logger.error({ action: cb.action, err: describeBotError(err, deps.token) }, 'telegram: confirmed action failed')
      text = `${cb.action} failed: ${describeError(err).slice(0, 200)}`
      await record('error', { action: cb.action, args: cb.args, error: text })
    }
    await ctx.editMessageText(clip(`${cb.action}: ${text}`)).catch(() => undefined)
    await answer(text)
  })

  return bot
}
