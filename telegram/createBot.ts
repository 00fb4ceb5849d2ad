import { autoRetry } from '@grammyjs/auto-retry'
import { apiThrottler, type APIThrottlerOptions } from '@grammyjs/transformer-throttler'
import { Bot, GrammyError, HttpError, type Middleware } from 'grammy'
import type { Logger } from '../core/logger.js'
import { COMMANDS, helpText } from './commands.js'

/**
 * Builds the grammY bot: `apiRoot` points it at api.telegram.org (live) or the devnet's local Bot
 * API server; retries on `retry_after` and network errors come from grammY's auto-retry plugin.
 * Registers /help and /status only; the rest of the commands, authorisation and the store are
 * wired by the agent.
 */
export interface CreateBotDeps {
  token: string
  /** Default api.telegram.org; no trailing slash. */
  apiRoot?: string
  logger: Logger
  /** The /status text; the agent supplies one that reads the store. */
  status?: () => string | Promise<string>
  /** auto-retry: give up when Telegram asks to wait longer than this (seconds). */
  maxRetryDelaySeconds?: number
  /** auto-retry: attempts per call (default 5). */
  maxRetryAttempts?: number
  /**
   * auto-retry also retries network errors and 5xx inside the call (default true). The full bot
   * turns it off: its outbox loop retries those itself on the next round, so one chat's outage
   * never holds up the others or the heartbeat.
   */
  retryTransient?: boolean
  /** Per-chat and global send limits (transformer-throttler); off when omitted. */
  throttle?: APIThrottlerOptions
  /** Installed before /help and /status (authorisation runs here). */
  middleware?: Middleware[]
  /** Register the built-in /help and /status (default true; the full bot registers its own). */
  builtins?: boolean
}

export function createBot({ token, apiRoot, logger, status, maxRetryDelaySeconds = 60, maxRetryAttempts = 5, retryTransient = true, throttle, middleware = [], builtins = true }: CreateBotDeps): Bot {
  const bot = new Bot(token, { client: apiRoot ? { apiRoot } : {} })
  bot.api.config.use(autoRetry({ maxDelaySeconds: maxRetryDelaySeconds, maxRetryAttempts, rethrowHttpErrors: !retryTransient, rethrowInternalServerErrors: !retryTransient }))
  // Installed last, so it is the outermost transformer: a retry waiting for retry_after keeps the chat's slot (order kept).
  if (throttle) bot.api.config.use(apiThrottler(throttle))
  for (const m of middleware) bot.use(m)

  if (builtins) {
    bot.command(['help', 'start'], (ctx) => ctx.reply(helpText()))
    bot.command('status', async (ctx) => ctx.reply(status ? await status() : 'status: no source wired'))
  }

  bot.catch((err) => {
    logger.error({ update: err.ctx.update.update_id, err: describeBotError(err.error, token) }, 'telegram: handler failed')
  })
  return bot
}

/** Registers the command list with Telegram. */
export async function registerCommands(bot: Bot): Promise<void> {
  await bot.api.setMyCommands([...COMMANDS])
}

/** A loggable description of a bot error: never the token (HttpError causes carry the request URL). */
export function describeBotError(error: unknown, token: string): Record<string, unknown> {
  const redact = (s: string) => (token ? s.split(token).join('[token]') : s)
  if (error instanceof GrammyError) {
    return { kind: 'telegram', method: error.method, code: error.error_code, description: redact(error.description), retryAfter: error.parameters.retry_after }
  }
  if (error instanceof HttpError) return { kind: 'network', message: redact(error.message), cause: redact(String(error.error)) }
  return { kind: 'handler', message: redact(error instanceof Error ? error.message : String(error)) }
}
