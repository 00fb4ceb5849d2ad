import type { TelegramConfig, TelegramRole, TelegramUser } from './config.js'

/**
 * Who may do what. Users and chats come from config only: a user is known by their numeric
 * Telegram id, and may talk to the bot in their private chat or in a configured chat. Anyone
 * else gets nothing (the caller audits the attempt).
 */

export type Permission = 'read' | 'operate' | 'decide'

const ROLE_PERMISSIONS: Record<TelegramRole, readonly Permission[]> = {
  viewer: ['read'],
  operator: ['read', 'operate'],
  committee: ['read', 'decide'],
}

/** The permission each command needs. */
export const COMMAND_PERMISSION: Readonly<Record<string, Permission>> = {
  start: 'read',
  help: 'read',
  status: 'read',
  yields: 'read',
  positions: 'read',
  plans: 'read',
  plan: 'read',
  proposals: 'read',
  tally: 'read',
  alerts: 'read',
  approve: 'decide',
  reject: 'decide',
  pause: 'operate',
  resume: 'operate',
  mute: 'operate',
  transfers: 'read',
  release: 'operate',
}

export const roleCan = (role: TelegramRole, p: Permission): boolean => ROLE_PERMISSIONS[role].includes(p)
export const can = (user: TelegramUser, p: Permission): boolean => roleCan(user.role, p)

/** Which role a permission needs, for refusals ("needs the operator role"). */
export const ROLE_FOR: Record<Permission, string> = { read: 'any role', operate: 'the operator role', decide: 'the committee role' }

export type Identity = { ok: true; user: TelegramUser } | { ok: false; reason: 'no-user' | 'unknown-user' | 'unknown-chat' }

/** The configured user behind an update, if the user and the chat are allowed. */
export function identify(t: Pick<TelegramConfig, 'users' | 'chats'>, from: { id: number } | undefined, chat: { id: number } | undefined): Identity {
  if (!from) return { ok: false, reason: 'no-user' }
  const user = t.users.find((u) => u.id === from.id)
  if (!user) return { ok: false, reason: 'unknown-user' }
  if (chat && chat.id !== from.id && !t.chats.some((c) => c.id === chat.id)) return { ok: false, reason: 'unknown-chat' }
  return { ok: true, user }
}
