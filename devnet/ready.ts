/** Readiness of the devnet's HTTP services: start-up waits for each one instead of retrying blind. */
import { setTimeout as sleep } from 'node:timers/promises'

/**
 * Resolves once `url` answers HTTP at all (any status: the server is listening and routing);
 * throws after `timeoutMs` naming `what` and where to look. `signal` ends the wait early.
 */
export async function waitForHttp(what: string, url: string, opts: { timeoutMs?: number; init?: RequestInit; signal?: AbortSignal; logHint?: string } = {}): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000)
  let last = ''
  for (;;) {
    opts.signal?.throwIfAborted()
    try {
      await fetch(url, { ...opts.init, signal: AbortSignal.timeout(2_000) })
      return
    } catch (err) {
      last = (err as Error).message
    }
    if (Date.now() > deadline) throw new Error(`${what} does not answer at ${url} (${last})${opts.logHint ? `; see ${opts.logHint}` : ''}`)
    await sleep(200, undefined, { signal: opts.signal })
  }
}
