import { existsSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { createRequire } from 'node:module'
import type { ChainClient } from '../chains/createChainClient'
import type { Config } from '../config/schema'
import { describeError } from '../core/errors'
import type { Logger } from '../core/logger'
import type { Store } from '../store'
import type { BalanceSeen, ChainSeen, Pm2App, StoreSizes } from './rules'

/** The sending keys to watch (addresses only, from config): the executor's and the voter's, and any configured. */
export function gasAccounts(config: Config): { role: string; address: string; chains: string[] }[] {
  const all = config.chains.map((c) => c.name)
  const out: { role: string; address: string; chains: string[] }[] = []
  const executor = config.custody.kind === 'safe' ? config.custody.executor : config.pool.account
  if (executor) out.push({ role: 'executor', address: executor, chains: all })
  const voter = config.governance.voter.account
  // The voter pays gas only for on-chain Governor votes (Snapshot votes are signatures).
  const voterChains = [...new Set(config.governance.upstream.governors.map((g) => g.chain))]
  if (voter && voterChains.length) out.push({ role: 'voter', address: voter, chains: voterChains })
  for (const a of config.sentinel.gas.accounts) out.push({ role: a.name, address: a.address, chains: all })
  return out
}

/** Each chain's head as the sentinel reads it (its own RPC calls) and the watcher's stored block. */
export async function observeChains(store: Store, clients: readonly ChainClient[], logger?: Logger): Promise<ChainSeen[]> {
  const cursors = await store.cursors.list()
  return Promise.all(
    clients.map(async (c) => {
      let head: bigint | null = null
      try {
        head = await c.client.getBlockNumber({ cacheTime: 0 })
      } catch (err) {
        logger?.debug({ chain: c.name, err: describeError(err) }, 'sentinel: head not read')
      }
      return { chain: c.name, blockTimeMs: c.config.blockTimeMs, head, stored: cursors.find((x) => x.chain === c.name)?.blockNumber ?? null }
    }),
  )
}

export async function observeBalances(config: Config, clients: readonly ChainClient[], logger?: Logger): Promise<BalanceSeen[]> {
  const out: Promise<BalanceSeen>[] = []
  for (const a of gasAccounts(config)) {
    for (const chain of a.chains) {
      const c = clients.find((x) => x.name === chain)
      if (!c) continue
      out.push(
        c.client.getBalance({ address: a.address as `0x${string}` }).then(
          (balance) => ({ chain, role: a.role, address: a.address, balance }),
          (err: unknown) => {
            logger?.debug({ chain, err: describeError(err) }, 'sentinel: balance not read')
            return { chain, role: a.role, address: a.address, balance: null }
          },
        ),
      )
    }
  }
  return Promise.all(out)
}

const size = (path: string): number | null => {
  try {
    return statSync(path).size
  } catch {
    return null
  }
}

/** The store's file and WAL sizes (a WAL that does not exist is 0 bytes: checkpointed and removed). */
export function observeStoreSizes(path: string): StoreSizes {
  const fileBytes = size(path)
  return { fileBytes, walBytes: fileBytes === null ? null : (size(`${path}-wal`) ?? 0) }
}

/**
 * PM2's process list through its API, or null when no PM2 daemon runs (the sentinel started by
 * hand or in a test). It never starts a daemon: pm2's connect() would launch one when none
 * answers, so it connects only when the daemon's socket exists in PM2_HOME. PM2 itself is loaded
 * at run time (not bundled: it reads its own files beside itself).
 */
export function createPm2Reader(logger?: Logger): { list(): Promise<Pm2App[] | null>; close(): void } {
  const home = process.env.PM2_HOME ?? join(homedir(), '.pm2')
  let pm2: typeof import('pm2') | undefined
  let connected = false
  const call = <T>(fn: (cb: (err: Error | null, v: T) => void) => void) => new Promise<T>((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))))
  return {
    async list() {
      if (!existsSync(join(home, 'rpc.sock'))) return null
      try {
        if (!pm2) {
          const load = createRequire(import.meta.url)
          const name = 'pm2'
          pm2 = load(name) as typeof import('pm2')
        }
        if (!connected) {
          await call<void>((cb) => pm2!.connect((err) => cb(err ?? null, undefined)))
          connected = true
        }
        const procs = await call<import('pm2').ProcessDescription[]>((cb) => pm2!.list(cb))
        return procs.map((p) => ({
          name: p.name ?? '?',
          restarts: (p.pm2_env as { restart_time?: number } | undefined)?.restart_time ?? 0,
          status: p.pm2_env?.status ?? 'unknown',
        }))
      } catch (err) {
        logger?.warn({ err: describeError(err) }, 'sentinel: PM2 process list not read')
        if (connected) pm2?.disconnect()
        connected = false
        return null
      }
    },
    close() {
      if (connected) pm2?.disconnect()
      connected = false
    },
  }
}
