/**
 * `npm run check -- [config.json] [--online]` — validates a config without starting anything:
 * the schema, the cross-field checks and unknown keys (offline), and with `--online` that every
 * RPC URL answers with its chain's id and every configured contract has code and answers its
 * adapter's calls (chains/checkOnline.ts). Prints one line per problem and exits 1 on any; the file
 * defaults to POOLWARDEN_CONFIG, else the devnet profile (.devnet/config.json).
 */
import { parseArgs } from 'node:util'
import { checkOnline } from '../chains/checkOnline'
import { loadConfig, resolveConfigPath } from '../config/load'
import type { Config } from '../config/schema'
import { ConfigError, describeError } from '../core/errors'
import { quietOnClosedPipe, wantsHelp } from './lib/cli'

const USAGE = 'usage: npm run check -- [config.json] [--online]'

export interface CheckResult {
  /** The file checked (absolute). */
  path: string
  /** One line per problem; empty when the config is good. */
  problems: string[]
  /** What was checked, for the closing line. */
  summary: string
}

/** Checks the config file `path` (or the one `npm start` would use); online checks only when asked and the file is valid. */
export async function checkConfig(opts: { path?: string; online?: boolean; env?: Record<string, string | undefined>; cwd?: string; timeoutMs?: number }): Promise<CheckResult> {
  const source = resolveConfigPath({ path: opts.path, env: opts.env, cwd: opts.cwd })
  let config: Config
  try {
    config = loadConfig({ path: source.path, cwd: opts.cwd })
  } catch (err) {
    if (err instanceof ConfigError) return { path: source.path, problems: err.message.split('\n'), summary: 'invalid' }
    throw err
  }
  const what = `${config.chains.length} chain(s), ${config.venues.length} venue(s)`
  if (!opts.online) return { path: source.path, problems: [], summary: `${what}, offline checks` }
  const problems = (await checkOnline(config, { timeoutMs: opts.timeoutMs })).map((p) => `online: ${p}`)
  return { path: source.path, problems, summary: `${what}, online checks` }
}

async function main(): Promise<number> {
  if (wantsHelp()) {
    console.log(USAGE)
    return 0
  }
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { online: { type: 'boolean', default: false } } })
  if (positionals.length > 1) {
    console.error(USAGE)
    return 2
  }
  const r = await checkConfig({ path: positionals[0], online: values.online })
  for (const p of r.problems) console.log(p)
  if (r.problems.length) {
    console.error(`${r.path}: ${r.problems.length} problem(s)`)
    return 1
  }
  console.error(`${r.path}: ok (${r.summary})`)
  return 0
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  quietOnClosedPipe()
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`check: ${describeError(err)}`)
      process.exit(1)
    },
  )
}
