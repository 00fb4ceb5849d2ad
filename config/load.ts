import { existsSync, readFileSync } from 'node:fs'
import { isAbsolute, relative, resolve } from 'node:path'
import { z } from 'zod'
import { ConfigError } from '../core/errors'
import { configSchema, crossFieldIssues, type Config } from './schema'
import { findJsonSyntaxError } from './jsonSyntax'

/**
 * Reading and validating the configuration: parsed once at start, deep-frozen, typed.
 *
 * Every problem is reported at once, one line each, as `<field path>: <problem>: <fix>`:
 *   config: venues[2].chain: unknown chain "arbitrun" (known: ethereum, arbitrum, base)
 *   config: pool.account: missing: add "account": "0x…" (the pool's public address)
 *   config: venue: unknown key "venue": did you mean "venues"?
 * Sources of lines: the zod schema, the cross-field checks (run on the raw input too, so they are
 * reported even when other fields are invalid), and unknown keys (the schema strips them; the
 * loader refuses them, because a misspelt key silently ignored is a wrong config).
 * Keys starting with "//" are comments and are ignored anywhere.
 */

/** Where `npm start` writes the generated devnet configuration (relative to the project root). */
export const DEVNET_CONFIG_PATH = '.devnet/config.json'
/** Env var naming the config file to load. */
export const CONFIG_ENV = 'POOLWARDEN_CONFIG'

export interface LoadConfigOptions {
  /** Config file; wins over `POOLWARDEN_CONFIG`. Relative paths resolve against `cwd`. */
  path?: string
  /** Environment to read `POOLWARDEN_CONFIG` from (default `process.env`). */
  env?: Record<string, string | undefined>
  /** Base for relative paths (default `process.cwd()`). */
  cwd?: string
}

export interface ConfigSource {
  /** Absolute path of the file. */
  path: string
  /** How it was chosen. */
  from: 'option' | 'env' | 'devnet'
}

/** Which file `loadConfig` reads: `path`, else `POOLWARDEN_CONFIG`, else the devnet profile. */
export function resolveConfigPath(opts: LoadConfigOptions = {}): ConfigSource {
  const cwd = opts.cwd ?? process.cwd()
  const env = opts.env ?? process.env
  if (opts.path) return { path: resolve(cwd, opts.path), from: 'option' }
  const fromEnv = env[CONFIG_ENV]?.trim()
  if (fromEnv) return { path: resolve(cwd, fromEnv), from: 'env' }
  return { path: resolve(cwd, DEVNET_CONFIG_PATH), from: 'devnet' }
}

/** Read, parse, validate and deep-freeze the configuration. Throws `ConfigError` (one line per problem). */
export function loadConfig(opts: LoadConfigOptions = {}): Config {
  const source = resolveConfigPath(opts)
  const shown = displayPath(source.path, opts.cwd ?? process.cwd())
  if (!existsSync(source.path)) {
    if (source.from === 'devnet') {
      throw new ConfigError([
        `no config at ${shown}: run \`npm start\` first to generate the devnet config, or set ${CONFIG_ENV} to a config file (e.g. config/profiles/mainnet.example.json)`,
      ])
    }
    const via = source.from === 'env' ? ` (from ${CONFIG_ENV})` : ''
    throw new ConfigError([`no config file at ${shown}${via}: check the path`])
  }
  let text: string
  try {
    text = readFileSync(source.path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'read error'
    throw new ConfigError([`cannot read ${shown} (${code}): check the path and its permissions`])
  }
  return parseConfigText(text, shown)
}

/** Parse JSON text (a file's content) into a frozen Config. `file` names it in error lines. */
export function parseConfigText(text: string, file = '<config>'): Config {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  let raw: unknown
  try {
    raw = JSON.parse(body)
  } catch (err) {
    const found = findJsonSyntaxError(body)
    const offset = found?.offset ?? positionFromMessage((err as Error).message) ?? body.length
    const reason = found?.reason ?? (err as Error).message
    const { line, column } = lineColumn(body, offset)
    const error = new ConfigError([`${file}:${line}:${column}: invalid JSON: ${reason}`])
    Object.defineProperty(error, 'cause', { value: err, enumerable: false })
    throw error
  }
  return parseConfig(raw)
}

/** Validate an already-parsed object (tests, other callers). Returns a deep-frozen Config. */
export function parseConfig(input: unknown): Config {
  const problems = configProblems(input)
  if (problems.length > 0) throw new ConfigError(problems)
  // configProblems parsed successfully; parse again for the value (cheap, and keeps one code path).
  return deepFreeze(configSchema.parse(input, { error: defaultMessage }))
}

/** Every problem of `input`, one line each (empty when the config is valid). */
export function configProblems(input: unknown): string[] {
  if (!isRecord(input)) {
    return [`(top level): expected a JSON object { "chains": […], "pool": {…}, "venues": […] }, got ${describe(input)}`]
  }
  const result = configSchema.safeParse(input, { error: defaultMessage })
  const found: Problem[] = []
  if (!result.success) found.push(...issuesToProblems(result.error.issues, input))
  for (const issue of crossFieldIssues(input)) found.push({ path: issue.path, text: issue.message })
  found.push(...unknownKeys(configSchema, input, []))
  return orderAndDedupe(found, input)
}

/**
 * Lines for a ZodError from `configSchema` (or any sub-schema of it). Pass the raw input when you
 * have it: missing fields are then reported as "missing: add …" and values can be quoted.
 */
export function formatConfigProblems(error: z.ZodError, input?: unknown): string[] {
  return orderAndDedupe(issuesToProblems(error.issues, input), input)
}

// ── Problems ──────────────────────────────────────────────────────────────────────────────

type Path = readonly PropertyKey[]
interface Problem {
  path: Path
  text: string
}

/** `venues[2].caps.maxAmount`; odd keys as `["a b"]`; the root as `(top level)`. */
export function formatPath(path: Path): string {
  let out = ''
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`
    else if (typeof seg === 'string' && /^[A-Za-z_$][\w$]*$/.test(seg)) out += out ? `.${seg}` : seg
    else out += `[${JSON.stringify(String(seg))}]`
  }
  return out || '(top level)'
}

function issuesToProblems(issues: readonly z.core.$ZodIssue[], input: unknown): Problem[] {
  return issues.map((iss) => ({ path: iss.path, text: issueText(iss, input) }))
}

function issueText(iss: z.core.$ZodIssue, input: unknown): string {
  const at = lookup(input, iss.path)
  if (at.missing) return missingText(iss.path, iss)
  if (input !== undefined && iss.code === 'invalid_union' && 'discriminator' in iss && typeof iss.discriminator === 'string') {
    const options = ((iss as { options?: unknown[] }).options ?? []).map((o) => JSON.stringify(o)).join(', ')
    return `unknown venue ${iss.discriminator} ${JSON.stringify(at.value)}: use one of ${options}`
  }
  return iss.message
}

/** Per-parse error map: messages for the checks that the schema does not word itself. */
function defaultMessage(iss: z.core.$ZodRawIssue): string | undefined {
  switch (iss.code) {
    case 'invalid_type':
      return `expected ${article(String(iss.expected))}, got ${describe(iss.input)}`
    case 'too_small': {
      const min = Number(iss.minimum)
      if (iss.origin === 'array') return `needs at least ${min} ${min === 1 ? 'entry' : 'entries'}`
      if (iss.origin === 'string') return min <= 1 ? 'must not be empty' : `must be at least ${min} characters`
      return `must be ${iss.inclusive ? 'at least' : 'greater than'} ${min}, got ${describe(iss.input)}`
    }
    case 'too_big': {
      const max = Number(iss.maximum)
      if (iss.origin === 'array') return `has more than ${max} entries`
      if (iss.origin === 'string') return `must be at most ${max} characters`
      return `must be ${iss.inclusive ? 'at most' : 'less than'} ${max}, got ${describe(iss.input)}`
    }
    case 'invalid_value':
      return `expected one of ${iss.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describe(iss.input)}`
    case 'invalid_format':
      return `expected ${article(iss.format)}, got ${describe(iss.input)}`
    default:
      return undefined
  }
}

/** Fixes for missing fields, by path pattern (indices replaced by []). */
const MISSING_HINTS: Record<string, string> = {
  chains: `add "chains": [{ "name": "ethereum", "chainId": 1, "rpc": [{ "url": "https://…" }] }]`,
  'chains[].name': `add "name" (e.g. "ethereum"; venues refer to chains by this name)`,
  'chains[].chainId': `add "chainId" (e.g. 1 for Ethereum, 42161 for Arbitrum, 8453 for Base)`,
  'chains[].rpc': `add "rpc": [{ "url": "https://…" }] (at least one RPC URL)`,
  'chains[].rpc[].url': `add "url": "https://…"`,
  pool: `add "pool": { "account": "0x…", "collateral": [{ "chain": "…", "symbol": "wstETH", "token": "0x…" }] }`,
  'pool.account': `add "account": "0x…" (the pool's public address)`,
  'pool.collateral': `add "collateral": [{ "chain": "…", "symbol": "wstETH", "token": "0x…" }]`,
  'pool.collateral[].chain': `add "chain" (the name of a configured chain)`,
  'pool.collateral[].symbol': `add "symbol" (e.g. "wstETH")`,
  'pool.collateral[].token': `add "token": "0x…" (the collateral token on that chain)`,
  'pool.shareToken[].chain': `add "chain" (the name of a configured chain)`,
  'pool.shareToken[].token': `add "token": "0x…"`,
  'store.path': `add "path" (the SQLite file, e.g. ".devnet/poolwarden.sqlite")`,
  'venues[].id': `add "id" (unique, e.g. "aave-v3-wsteth-base")`,
  'venues[].chain': `add "chain" (the name of a configured chain)`,
  'venues[].protocol': `add "protocol" (e.g. "lido", "aave-v3")`,
  'venues[].kind': `add "kind": one of "erc4626", "lst", "aave-v3"`,
  'venues[].address': `add "address": "0x…" (the vault, the LST token or the Aave Pool, by kind)`,
  'venues[].rateMethod': `add "rateMethod": "stEthPerToken" or "getExchangeRate"`,
  'venues[].dataProvider': `add "dataProvider": "0x…" (the market's AaveProtocolDataProvider)`,
  'venues[].asset': `add "asset": "0x…" (the reserve's underlying token)`,
  'venues[].aToken': `add "aToken": "0x…" (the reserve's aToken)`,
  'venues[].risk.slashing[].date': `add "date": "YYYY-MM-DD"`,
  'venues[].risk.slashing[].lossBps': `add "lossBps" (loss in bps of stake)`,
}

function missingText(path: Path, iss: z.core.$ZodIssue): string {
  const pattern = formatPath(path.map((p) => (typeof p === 'number' ? -1 : p))).replaceAll('[-1]', '[]')
  const hint = MISSING_HINTS[pattern]
  if (hint) return `missing: ${hint}`
  const key = String(path[path.length - 1] ?? '')
  const expected = iss.code === 'invalid_type' ? ` (${article(String(iss.expected))})` : ''
  return `missing: add "${key}"${expected}`
}

// ── Unknown keys ──────────────────────────────────────────────────────────────────────────

/** Walk the raw input along the schema and report keys the schema does not know. */
function unknownKeys(schema: z.core.$ZodType, value: unknown, path: PropertyKey[]): Problem[] {
  const s = unwrap(schema)
  const out: Problem[] = []
  if (s instanceof z.ZodObject && isRecord(value)) {
    const shape = s.shape as Record<string, z.core.$ZodType>
    const known = Object.keys(shape)
    for (const [key, v] of Object.entries(value)) {
      if (key.startsWith('//')) continue
      const sub = shape[key]
      if (sub) out.push(...unknownKeys(sub, v, [...path, key]))
      else out.push({ path: [...path, key], text: MOVED_KEYS[[...path, key].join('.')] ?? unknownKeyText(key, known) })
    }
  } else if (s instanceof z.ZodArray && Array.isArray(value)) {
    value.forEach((v, i) => out.push(...unknownKeys(s.element as z.core.$ZodType, v, [...path, i])))
  } else if (s instanceof z.ZodDiscriminatedUnion && isRecord(value)) {
    const disc = (s.def as { discriminator: string }).discriminator
    const option = (s.options as z.core.$ZodType[]).find((o) => {
      const u = unwrap(o)
      if (!(u instanceof z.ZodObject)) return false
      const lit = (u.shape as Record<string, z.core.$ZodType>)[disc]
      return lit instanceof z.ZodLiteral && lit.values.has(value[disc] as never)
    })
    if (option) out.push(...unknownKeys(option, value, path)) // unknown kind: reported by the schema
  }
  return out
}

function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let s = schema
  for (let i = 0; i < 20; i++) {
    if (s instanceof z.ZodDefault || s instanceof z.ZodOptional || s instanceof z.ZodNullable || s instanceof z.ZodPrefault) {
      s = s.def.innerType as z.core.$ZodType
    } else if (s instanceof z.ZodPipe) {
      s = s.def.in as z.core.$ZodType
    } else break
  }
  return s
}

/** Keys that existed once, with where their setting lives now. */
const MOVED_KEYS: Record<string, string> = {
  'pool.signer':
    "moved: each signing agent has its own key now: the executor's env var name goes in execution.keyEnv (default POOLWARDEN_EXECUTOR_KEY), the governor's in governance.voter.keyEnv (default POOLWARDEN_VOTER_KEY); remove pool.signer",
}

function unknownKeyText(key: string, known: string[]): string {
  const close = closest(key, known)
  if (close) return `unknown key "${key}": did you mean "${close}"?`
  return `unknown key "${key}" (known: ${known.join(', ')}): remove it or fix its name`
}

/** The known key nearest to `key` by edit distance (case-insensitive), if near enough to be a typo. */
export function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDist = Infinity
  for (const k of known) {
    const d = levenshtein(key.toLowerCase(), k.toLowerCase())
    if (d < bestDist) {
      bestDist = d
      best = k
    }
  }
  const limit = Math.max(1, Math.min(3, Math.floor(key.length / 3)))
  return bestDist <= limit ? best : undefined
}

function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost)
    }
    prev = cur
  }
  return prev[b.length]!
}

// ── Ordering ──────────────────────────────────────────────────────────────────────────────

/** Lines in the order their fields appear in the file (missing fields after their siblings); no duplicates. */
function orderAndDedupe(problems: Problem[], input: unknown): string[] {
  const keyed = problems.map((p, i) => ({ p, i, key: sortKey(input, p.path) }))
  keyed.sort((a, b) => compareKeys(a.key, b.key) || a.i - b.i)
  const lines: string[] = []
  const seen = new Set<string>()
  for (const { p } of keyed) {
    const line = `${formatPath(p.path)}: ${p.text}`
    if (!seen.has(line)) {
      seen.add(line)
      lines.push(line)
    }
  }
  return lines
}

function sortKey(input: unknown, path: Path): number[] {
  const key: number[] = []
  let cur: unknown = input
  for (const seg of path) {
    if (Array.isArray(cur) && typeof seg === 'number') {
      key.push(seg)
      cur = cur[seg]
    } else if (isRecord(cur) && typeof seg === 'string' && seg in cur) {
      key.push(Object.keys(cur).indexOf(seg))
      cur = cur[seg]
    } else {
      key.push(Number.MAX_SAFE_INTEGER)
      cur = undefined
    }
  }
  return key
}

function compareKeys(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const d = a[i]! - b[i]!
    if (d !== 0) return d
  }
  return a.length - b.length
}

// ── Helpers ───────────────────────────────────────────────────────────────────────────────

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** The value at `path` in the raw input, and whether its key is absent from an existing object. */
function lookup(input: unknown, path: Path): { value: unknown; missing: boolean } {
  if (input === undefined) return { value: undefined, missing: false }
  let cur: unknown = input
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!
    if (Array.isArray(cur) && typeof seg === 'number') cur = cur[seg]
    else if (isRecord(cur) && typeof seg === 'string') {
      if (!(seg in cur) || cur[seg] === undefined) return { value: undefined, missing: i === path.length - 1 }
      cur = cur[seg]
    } else return { value: undefined, missing: false }
  }
  return { value: cur, missing: false }
}

function article(noun: string): string {
  const words: Record<string, string> = { object: 'an object { … }', array: 'a list [ … ]', url: 'an http(s) URL' }
  if (words[noun]) return words[noun]
  return /^[aeiou]/i.test(noun) ? `an ${noun}` : `a ${noun}`
}

/** A short, JSON-ish description of a value for error lines (config values are not secret). */
export function describe(v: unknown): string {
  if (v === undefined) return 'nothing'
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'object') return 'an object'
  if (typeof v === 'string') {
    const s = v.length > 60 ? `${v.slice(0, 57)}…` : v
    return `the string ${JSON.stringify(s)}`
  }
  return `${typeof v} ${String(v)}`
}

function displayPath(abs: string, cwd: string): string {
  const rel = relative(cwd, abs)
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1
  let lineStart = 0
  for (let i = 0; i < Math.min(offset, text.length); i++) {
    if (text[i] === '\n') {
      line++
      lineStart = i + 1
    }
  }
  return { line, column: offset - lineStart + 1 }
}

function positionFromMessage(message: string): number | undefined {
  const m = /position (\d+)/.exec(message)
  return m ? Number(m[1]) : undefined
}

type DeepReadonly<T> = T extends (infer E)[] ? readonly DeepReadonly<E>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T

/** Freeze an object graph in place (objects and arrays), and return it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const v of Object.values(value)) deepFreeze(v)
  }
  return value
}

/** The config as the type system should see it after loading: nothing in it may be assigned. */
export type FrozenConfig = DeepReadonly<Config>
