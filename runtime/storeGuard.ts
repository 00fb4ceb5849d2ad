/**
 * What an agent does when its store cannot take writes (a full disk, or `store.maxSizeMb` reached):
 * the store reports every such error (store/errors.ts `unwritableCode`) and the guard turns the
 * first one into an episode —
 *
 * - the agent stops acting: `loop` runs no round and writes no heartbeat, and agents with their
 *   own loop (the watcher) wait on `writable()`; nothing new is signed because every signing path
 *   records its intent (or cast) first, and that write fails;
 * - one log line (error), and one alert through what still works: the Telegram Bot API directly,
 *   from a process that can reach it without a secret it should not hold (devnet mode, or the
 *   telegram app, the only one with the token live), deduplicated across the agents by a marker
 *   file in the OS temp dir; otherwise the log line is the alert;
 * - the process keeps running and tests the store every `runtime.storeProbeSeconds` with one small
 *   write that needs new space (store.probeWritable); the first success ends the episode: a log
 *   line, the episode recorded in the store (alert `store-full` raised and resolved, an audit row),
 *   and the agent resumes — the watcher back-fills the blocks it could not store from its cursor.
 */
import { createHash } from 'node:crypto'
import { readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Config } from '../config/schema'
import { describeError } from '../core/errors'
import type { Logger } from '../core/logger'
import { sleep } from '../core/shutdown'
import type { Store } from '../store'
import { unwritableCode } from '../store/errors'
import { telegramConnection } from '../telegram/config'

export interface StoreGuard {
  /** False from the first write refused for want of space until a probe write succeeds. */
  writable(): boolean
  /** Resolves once the store takes writes again (at once when it does), or when the signal aborts. */
  whenWritable(): Promise<void>
  /** The store's hook (OpenStoreOptions.onUnwritable): starts an episode unless one is under way. */
  onUnwritable(err: unknown): void
}

export interface StoreGuardDeps {
  name: string
  config: Config
  logger: Logger
  signal: AbortSignal
  /** The agent's store (opened after the guard: its hook is the guard's). */
  store: () => Store | undefined
  /** How the alert is pushed when the Bot API is reachable (default: fetch sendMessage). */
  push?: (text: string) => Promise<string>
}

/** A marker older than this is a crashed episode's: it no longer stops a push. */
const MARKER_STALE_MS = 60 * 60 * 1000

export function createStoreGuard(deps: StoreGuardDeps): StoreGuard {
  const { name, config, logger, signal } = deps
  let episode: { since: number; code: string; error: string } | undefined
  let waiters: Array<() => void> = []
  const marker = join(tmpdir(), `poolwarden-store-unwritable-${createHash('sha256').update(config.store.path).digest('hex').slice(0, 12)}`)
  signal.addEventListener('abort', () => wake(), { once: true })

  function wake(): void {
    const w = waiters
    waiters = []
    for (const f of w) f()
  }

  /** The first agent of an episode pushes; the others see its marker (a stale one is taken over). */
  function firstToPush(): boolean {
    try {
      writeFileSync(marker, `${name} ${process.pid} ${Date.now()}\n`, { flag: 'wx' })
      return true
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return true // no marker possible (the temp dir is full too): push anyway
      try {
        if (Date.now() - statSync(marker).mtimeMs < MARKER_STALE_MS) return false
        writeFileSync(marker, `${name} ${process.pid} ${Date.now()}\n`)
        return true
      } catch {
        return true
      }
    }
  }

  async function alert(text: string): Promise<void> {
    const t = config.telegram
    const chats = t?.enabled ? t.chats.filter((c) => c.alerts.includes('critical')) : []
    if (!t || chats.length === 0) return void logger.error({ alert: 'store-full' }, `alert (no Telegram chat for critical alerts): ${text}`)
    let push = deps.push
    if (!push) {
      let conn: ReturnType<typeof telegramConnection>
      try {
        conn = telegramConnection(t)
      } catch {
        // Live, only the telegram app holds the token: this process alerts through its log.
        return void logger.error({ alert: 'store-full' }, `alert (no Telegram token in this process; the telegram app pushes it): ${text}`)
      }
      push = async (body: string) => {
        const sent: string[] = []
        for (const chat of chats) {
          const res = await fetch(`${conn.apiRoot ?? 'https://api.telegram.org'}/bot${conn.token}/sendMessage`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ chat_id: chat.id, text: body }),
            signal: AbortSignal.timeout(10_000),
          })
          sent.push(`${chat.name ?? chat.id}: ${res.status}`)
        }
        return sent.join(', ')
      }
    }
    if (!firstToPush()) return void logger.info({ alert: 'store-full', marker: readMarker() }, 'store-full alert already pushed by another agent')
    try {
      const answer = await push(text)
      logger.info({ alert: 'store-full', telegram: answer }, 'store-full alert pushed to Telegram directly')
    } catch (err) {
      logger.error({ alert: 'store-full', err: describeError(err) }, `alert (Telegram unreachable): ${text}`)
    }
  }

  function readMarker(): string {
    try {
      return readFileSync(marker, 'utf8').trim()
    } catch {
      return ''
    }
  }

  let probing = false
  async function probeUntilWritable(): Promise<void> {
    if (probing) return
    probing = true
    try {
      await probeLoop()
    } finally {
      probing = false
    }
  }

  async function probeLoop(): Promise<void> {
    const everyMs = Math.round(config.runtime.storeProbeSeconds * 1000)
    while (!signal.aborted && episode) {
      await sleep(everyMs, signal)
      if (signal.aborted) return
      const store = deps.store()
      if (!store) continue
      let ok = false
      try {
        ok = await store.probeWritable(name)
      } catch (err) {
        logger.debug({ err: describeError(err) }, 'store probe failed')
      }
      if (ok) await resume(store)
    }
  }

  async function resume(store: Store): Promise<void> {
    const ep = episode
    if (!ep) return
    episode = undefined
    const seconds = Math.round((Date.now() - ep.since) / 1000)
    logger.info({ code: ep.code, unwritableSeconds: seconds }, `store takes writes again after ${seconds} s: ${name} resumes`)
    try {
      unlinkSync(marker)
    } catch {
      /* another agent removed it */
    }
    const since = new Date(ep.since).toISOString()
    try {
      await store.alerts.raise({ dedupKey: 'store-full', agent: name, rule: 'store-full', subject: 'store', severity: 'critical', title: `Store refused writes from ${since} (${ep.code})`, body: `${ep.error}; ${name} stopped acting (nothing signed, nothing sent) for ${seconds} s` })
      await store.alerts.resolve('store-full', { agent: name, title: 'Store takes writes again', body: `${name} resumed after ${seconds} s; what it could not store is caught up from its cursors` })
      await store.audit.append({ actor: name, action: 'store.unwritable', detail: { since, seconds, code: ep.code } })
    } catch (err) {
      logger.warn({ err: describeError(err) }, 'the store-full episode could not be recorded')
    }
    wake()
  }

  return {
    writable: () => episode === undefined,
    whenWritable: () => (episode === undefined || signal.aborted ? Promise.resolve() : new Promise<void>((r) => waiters.push(r))),
    onUnwritable(err) {
      if (episode || signal.aborted) return
      const code = unwritableCode(err) ?? 'unknown'
      episode = { since: Date.now(), code, error: describeError(err) }
      const text = `poolwarden: the store cannot take writes (${code}: ${describeError(err).split(' <- ').at(-1)}). ${name} stopped acting: nothing is signed or sent until space returns; it resumes by itself. Free space on the disk of ${config.store.path}.`
      logger.error({ code, err: episode.error }, `store cannot take writes (${code}): ${name} stops acting until space returns (tested every ${config.runtime.storeProbeSeconds} s)`)
      void alert(text)
      void probeUntilWritable()
    },
  }
}
