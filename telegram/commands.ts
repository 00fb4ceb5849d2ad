import type { BotCommand } from 'grammy/types'
import { COMMAND_PERMISSION, roleCan } from './auth.js'
import type { TelegramRole } from './config.js'

/** The command list registered with Telegram (setMyCommands), in the order /help shows it. */
export const COMMANDS: readonly BotCommand[] = [
  { command: 'status', description: 'agents, heartbeats and pauses' },
  { command: 'yields', description: 'venue yields [chain]' },
  { command: 'positions', description: 'pool positions per venue' },
  { command: 'plans', description: 'open plans' },
  { command: 'plan', description: 'why a plan: scores, costs, constraints <id>' },
  { command: 'approve', description: 'approve a plan <id>' },
  { command: 'reject', description: 'reject a plan <id>' },
  { command: 'pause', description: 'pause [agent|all]' },
  { command: 'resume', description: 'resume [agent|all]' },
  { command: 'proposals', description: 'governance proposals' },
  { command: 'tally', description: 'a proposal tally <id>' },
  { command: 'alerts', description: 'open alerts' },
  { command: 'transfers', description: 'Wormhole transfers, held ones first' },
  { command: 'release', description: 'release a held transfer <id>' },
  { command: 'mute', description: 'mute an alert rule <rule> <duration>' },
  { command: 'help', description: 'this list' },
]

/** The commands a role may run, in /help order (a command without a listed permission needs operate, as the bot enforces). */
export const commandsFor = (role: TelegramRole): BotCommand[] => COMMANDS.filter((c) => roleCan(role, COMMAND_PERMISSION[c.command] ?? 'operate'))

/** The /help text: one line per command. */
export function helpText(commands: readonly BotCommand[] = COMMANDS): string {
  return ['poolwarden commands:', ...commands.map((c) => `/${c.command} — ${c.description}`)].join('\n')
}
