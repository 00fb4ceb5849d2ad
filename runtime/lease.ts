/**
 * The lease keeper of a singleton agent (one active instance per role; store/leases.ts).
 *
 * - `acquire()` is the hot standby: it tries to take the role's lease every `ttlMs / 4` (at most
 *   1 s) until it holds it, logging once who holds it meanwhile; nothing of the agent runs before.
 * - Held, the lease is renewed every `ttlMs / 3` by a timer of its own (so a long round does not
 *   let it lapse) and with every heartbeat (`renew()`); the store connection is fenced with the
 *   lease's token, so every money, vote and sample write checks it in its own transaction.
 * - Lost — a renewal finds another holder, or a fenced write finds a newer token (the process was
 *   paused past the expiry and a standby took over) — `onLost` is called once: the runtime logs it,
 *   stops the agent and exits, so a restart comes back as the standby. Nothing more is written.
 * - `release()` on a clean shutdown expires the lease at once: the standby takes over without
 *   waiting for the expiry.
 */
import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { Logger } from '../core/logger'
import { describeError } from '../core/errors'
import { sleep } from '../core/shutdown'
import { LeaseLostError, type Fence, type Store } from '../store'
import { unwritableCode } from '../store/errors'

export interface LeaseKeeper {
  readonly role: string
  /** host:pid:random: this instance. */
  readonly holder: string
  /** Waits as the standby until the lease is ours; false when the signal aborted first. */
  acquire(): Promise<boolean>
  /** The fence while held, else undefined. */
  fence(): Fence | undefined
  /** Extends the lease now (the heartbeat calls it); a failure to reach the store is logged, a lost lease ends it. */
  renew(): Promise<void>
  /** Expires the lease now when still ours (clean shutdown). */
  release(): Promise<void>
}

export interface LeaseKeeperDeps {
  store: Store
  role: string
  ttlMs: number
  logger: Logger
  signal: AbortSignal
  /** Called once when the lease is lost (another instance holds it now). */
  onLost: (err: LeaseLostError) => void
  /** Default: `${hostname()}:${process.pid}:${8 random hex}`. */
  holder?: string
}

export function leaseHolderId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`
}

export function createLeaseKeeper(deps: LeaseKeeperDeps): LeaseKeeper {
  const { store, role, ttlMs, logger, signal } = deps
  const holder = deps.holder ?? leaseHolderId()
  let held: Fence | undefined
  let lost = false
  let timer: NodeJS.Timeout | undefined

  const lose = (err: LeaseLostError) => {
    if (lost) return
    lost = true
    held = undefined
    if (timer) clearInterval(timer)
    store.leases.setFence(null)
    // The fence stays closed for this connection: every fenced write from now on fails.
    store.leases.setFence({ role, holder, token: -1 }, () => undefined)
    logger.error({ role, err: err.message }, `lease ${role} lost: another instance holds it; this one stops acting`)
    deps.onLost(err)
  }

  async function renew(): Promise<void> {
    const f = held
    if (!f || lost) return
    try {
      if (await store.leases.renew(f, ttlMs)) return
      const now = await store.leases.get(role)
      lose(new LeaseLostError(`lease ${role}: token ${f.token} was taken${now ? ` by ${now.holder} (token ${now.token})` : ''}`))
    } catch (err) {
      // The store is busy or gone for a moment: the lease may lapse, and then the fence stops us.
      // A full store is logged once by the runtime (storeGuard.ts), not at every renewal.
      if (!signal.aborted && !unwritableCode(err)) logger.warn({ role, err: describeError(err) }, `lease ${role}: renewal not written; retried`)
    }
  }

  async function acquire(): Promise<boolean> {
    let reported: string | undefined
    const retryMs = Math.min(1_000, Math.max(50, Math.floor(ttlMs / 4)))
    while (!signal.aborted && !lost) {
      try {
        const r = await store.leases.acquire(role, holder, ttlMs)
        if (r.acquired) {
          held = { role, holder, token: r.lease.token }
          store.leases.setFence(held, lose)
          timer = setInterval(() => void renew(), Math.max(50, Math.floor(ttlMs / 3)))
          logger.info({ role, holder, fencingToken: r.lease.token }, `lease ${role} taken: this instance is active`)
          return true
        }
        if (reported !== r.lease.holder) {
          reported = r.lease.holder
          logger.info({ role, holder, activeHolder: r.lease.holder, expiresAt: new Date(r.lease.expiresAt).toISOString() }, `standby: lease ${role} is held by ${r.lease.holder}; waiting to take over`)
        }
      } catch (err) {
        if (!signal.aborted) logger.warn({ role, err: describeError(err) }, `lease ${role}: could not read the lease; retrying`)
      }
      await sleep(retryMs, signal)
    }
    return false
  }

  async function release(): Promise<void> {
    if (timer) clearInterval(timer)
    const f = held
    held = undefined
    if (f && !lost) await store.leases.release(f).catch((err: unknown) => logger.warn({ role, err: describeError(err) }, `lease ${role}: release not written (it expires by itself)`))
  }

  return { role, holder, acquire, fence: () => held, renew, release }
}
