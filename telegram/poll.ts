import { GrammyError, type Bot } from 'grammy'
import { ConfigError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import { sleep as defaultSleep } from '../core/shutdown.js'
import { describeBotError } from './createBot.js'

export interface PollingOptions {
  logger: Logger
  signal: AbortSignal
  /** Kept out of every log line. */
  token: string
  /** First back-off after a failure (doubles up to `maxBackoffMs`). */
  baseBackoffMs?: number
  maxBackoffMs?: number
  onStart?: () => void
  /** Tests observe the back-off here. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>
  /** Called on every polling failure with the delay chosen. */
  onFailure?: (info: { conflict: boolean; delayMs: number; failures: number }) => void
}

/**
 * Long polling that survives: a 409 Conflict (another instance polls with the same token) or a
 * network failure backs off exponentially and polls again — no crash loop, no tight loop; a 401
 * (the token is refused) stops with a ConfigError that does not contain the token. Resolves when
 * `signal` aborts (the bot is stopped).
 */
export async function runPolling(bot: Bot, opts: PollingOptions): Promise<void> {
  const { logger, signal } = opts
  const base = opts.baseBackoffMs ?? 5_000
  const max = opts.maxBackoffMs ?? 60_000
  const sleep = opts.sleep ?? defaultSleep
  const stop = () => {
    if (bot.isRunning()) void bot.stop().catch(() => undefined)
  }
  signal.addEventListener('abort', stop, { once: true })
  let failures = 0
  try {
    while (!signal.aborted) {
      try {
        await bot.start({
          allowed_updates: ['message', 'callback_query'],
          timeout: 30,
          onStart: () => {
            failures = 0
            opts.onStart?.()
          },
        })
        if (signal.aborted) break
      } catch (err) {
        if (signal.aborted) break
        if (err instanceof GrammyError && err.error_code === 401) {
          throw new ConfigError(['telegram: the Bot API refused the bot token (401 Unauthorized): check the token in telegram.tokenEnv'])
        }
        failures++
        const conflict = err instanceof GrammyError && err.error_code === 409
        const delayMs = Math.min(max, base * 2 ** Math.min(failures - 1, 10))
        opts.onFailure?.({ conflict, delayMs, failures })
        logger.warn(
          { err: describeBotError(err, opts.token), conflict, delayMs, failures },
          conflict ? 'telegram: another instance is polling with this token; backing off' : 'telegram: polling failed; backing off',
        )
        await sleep(delayMs, signal)
      }
    }
  } finally {
    signal.removeEventListener('abort', stop)
    stop()
  }
}
