/**
 * Command arguments, checked before anything is read or written: a refusal names what is wrong
 * and what would be right; nothing is echoed back at length.
 */

export const MAX_ARGS_LENGTH = 200
const ID = /^[A-Za-z0-9:_-]{1,80}$/
const NAME = /^[a-z0-9][a-z0-9-]{0,40}$/
/** The longest mute. */
export const MAX_MUTE_MS = 7 * 24 * 3_600_000

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string }
const ok = <T>(value: T): Parsed<T> => ({ ok: true, value })
const fail = <T>(error: string): Parsed<T> => ({ ok: false, error })

/** A short, safe rendering of user input for a refusal. */
export function quote(s: string): string {
  const clean = s.replace(/[^\x20-\x7e]/g, '?')
  return JSON.stringify(clean.length > 24 ? `${clean.slice(0, 21)}…` : clean)
}

/** Splits the text after a command into words; refuses over-long input. */
export function words(match: string, max: number): Parsed<string[]> {
  if (match.length > MAX_ARGS_LENGTH) return fail(`arguments too long (${match.length} characters, at most ${MAX_ARGS_LENGTH})`)
  const w = match.trim() === '' ? [] : match.trim().split(/\s+/)
  if (w.length > max) return fail(`too many arguments (${w.length}, at most ${max})`)
  return ok(w)
}

/** A plan or proposal id (letters, digits, - : _; at most 80). */
export function parseId(raw: string | undefined, what: string, usage: string): Parsed<string> {
  if (raw === undefined) return fail(`which ${what}? usage: ${usage}`)
  if (!ID.test(raw)) return fail(`${quote(raw)} is not a ${what} id (letters, digits, - : _ only, at most 80)`)
  return ok(raw)
}

/** A name from a known list (agents, chains, alert rules). */
export function parseName(raw: string, what: string, known: readonly string[]): Parsed<string> {
  if (!NAME.test(raw) || !known.includes(raw)) return fail(`unknown ${what} ${quote(raw)} (known: ${known.join(', ') || 'none'})`)
  return ok(raw)
}

/** `30s`, `15m`, `2h`, `1d` → ms (at most 7 days); `off` → 0 (unmute). */
export function parseDuration(raw: string | undefined): Parsed<number> {
  if (raw === undefined) return fail('for how long? e.g. 30m, 2h, 1d (or "off")')
  if (raw === 'off' || raw === '0') return ok(0)
  const m = /^(\d{1,4})([smhd])$/.exec(raw)
  if (!m) return fail(`${quote(raw)} is not a duration: use a number and s, m, h or d (e.g. 30m, 2h, 1d), or "off"`)
  const ms = Number(m[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd']
  if (ms <= 0) return fail('a mute lasts at least 1s (use "off" to unmute)')
  if (ms > MAX_MUTE_MS) return fail('at most 7d: a longer silence hides real trouble')
  return ok(ms)
}

/** `1h 5m` style for replies. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000)
  if (s < 120) return `${s}s`
  if (s < 7_200) return `${Math.round(s / 60)}m`
  if (s < 172_800) return `${Math.round(s / 3_600)}h`
  return `${Math.round(s / 86_400)}d`
}
