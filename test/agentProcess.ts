import { spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../store/testing'

/**
 * An agent as a real child process (`node --import tsx agents/<agent>.ts`), for tests that need a
 * process to stop, continue or kill. Output is kept for failure messages.
 */
export interface AgentProcess {
  child: ChildProcess
  pid: number
  exited: Promise<number | null>
  output(): string
  /** SIGTERM, then SIGKILL if it has not exited after 5 s; resolves on exit. */
  stop(): Promise<void>
}

const root = join(import.meta.dirname, '..')

export function startAgentProcess(agent: string, env: Record<string, string>): AgentProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'agents', `${agent}.ts`)], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.on('data', (d) => (output += String(d)))
  child.stderr!.on('data', (d) => (output += String(d)))
  let done = false
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      done = true
      resolve(code)
    }),
  )
  return {
    child,
    pid: child.pid!,
    exited,
    output: () => output,
    async stop() {
      if (done) return
      child.kill('SIGCONT')
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await exited
      clearTimeout(timer)
    },
  }
}

/** Resolves once `cond` holds, polling (no time asserted: the test's timeout is the bound). */
export async function until(cond: () => Promise<boolean> | boolean, everyMs = 100): Promise<void> {
  while (!(await cond())) await new Promise((r) => setTimeout(r, everyMs))
}

/** A placeholder address for pool and token in configs that never reach a chain. */
export const NO_CHAIN_ADDR = '0x00000000000000000000000000000000000000a1'

/**
 * A temporary folder with a store path and a config file for an agent process that never reaches a
 * chain: one ethereum chain whose RPC nothing listens on (the agents keep running and beating
 * anyway), the pool on `pool` (default NO_CHAIN_ADDR), and the `extra` sections merged on top.
 */
export async function agentConfig(
  prefix: string,
  extra: Record<string, unknown> = {},
  pool: string = NO_CHAIN_ADDR,
): Promise<{ dir: string; configPath: string; storePath: string; cleanup(): Promise<void> }> {
  const tmp = await tempDir(prefix)
  const storePath = join(tmp.dir, 'poolwarden.sqlite')
  const configPath = join(tmp.dir, 'config.json')
  writeFileSync(
    configPath,
    JSON.stringify({
      store: { path: storePath },
      chains: [{ name: 'ethereum', chainId: 1, blockTimeMs: 500, rpc: [{ url: 'http://127.0.0.1:1/' }] }],
      pool: { account: pool, collateral: [{ chain: 'ethereum', symbol: 'wstETH', token: NO_CHAIN_ADDR }] },
      ...extra,
    }),
  )
  return { dir: tmp.dir, configPath, storePath, cleanup: tmp.cleanup }
}
