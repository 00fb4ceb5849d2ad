/**
 * The bot's connection from `config.telegram` (schema: config/telegram.ts): the token, read from
 * the environment through config/secrets, and the API root.
 */
import { readSecret, type Secret } from '../config/secrets'
import type { TelegramConfig } from '../config/telegram'

export {
  ALERT_SEVERITIES,
  memberOf,
  TELEGRAM_ROLES,
  type TelegramChat,
  type TelegramConfig,
  type TelegramRole,
  type TelegramUser,
} from '../config/telegram'

/** The token the local devnet Bot API server accepts (not a secret: it opens only a local server). */
export const DEVNET_BOT_TOKEN = '7000000001:devnet-local-bot-token'

/** What the agent connects with: the token (a secret) and the API root. */
export interface TelegramConnection {
  token: Secret<'telegram-token'>
  apiRoot: string | undefined
}

/** Telegram bot tokens look like `123456789:AA…` (digits, a colon, 30+ url-safe characters). */
export function botTokenProblem(value: string): string | undefined {
  if (!/^\d{3,20}:[A-Za-z0-9_-]{20,}$/.test(value)) return `not a bot token: expected "<digits>:<letters>" as @BotFather gives it (got ${value.length} characters)`
  return undefined
}

/**
 * The token and API root: devnet mode uses the local server's well-known token; live mode
 * reads `tokenEnv` (or `${tokenEnv}_FILE`) through config/secrets (errors name the variable,
 * never the value).
 */
export function telegramConnection(t: TelegramConfig, env: Record<string, string | undefined> = process.env): TelegramConnection {
  if (t.mode === 'devnet') return { token: DEVNET_BOT_TOKEN as Secret<'telegram-token'>, apiRoot: t.apiRoot }
  const token = readSecret(t.tokenEnv, env, { validate: botTokenProblem, describe: 'the bot token from @BotFather', kind: 'telegram-token' })
  return { token, apiRoot: t.apiRoot }
}
