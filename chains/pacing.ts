import { RpcUnavailableError } from '../core/errors'
import { rateKey, type RateLimits } from '../store/rateLimits'

/**
 * One endpoint's shared pacing (see store/rateLimits.ts): `wait()` before each request takes the
 * endpoint's next slot across every process and sleeps until it; `retryAfter(ms)` makes every
 * process wait that long: while an endpoint's Retry-After runs, `wait` fails fast with
 * RpcUnavailableError (a fallback moves on to the next URL). Without a pacing file (`limits`
 * undefined) the pacing is only this process's, and a Retry-After is still honoured here.
 */
export interface EndpointPacer {
  wait(signal?: AbortSignal): Promise<void>
  retryAfter(ms: number): Promise<void>
  /** Epoch ms until which this process knows the endpoint asked for a pause (local view). */
  blockedUntil(): number
}

export interface PacerOptions {
  url: string
  /** protocol//host: what logs and the pacing file may show. */
  label: string
  /** Spacing between two requests to this endpoint, across all processes (1000 / maxPerSecond). */
  intervalMs: number
  /** A request whose slot is further away than this fails at once (RpcUnavailableError) instead of queueing. */
  maxWaitMs: number
  now?: () => number
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
}

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const t = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason)), { once: true })
  })

export function createPacer(limits: RateLimits | undefined, opts: PacerOptions): EndpointPacer {
  const now = opts.now ?? Date.now
  const sleep = opts.sleep ?? defaultSleep
  const key = rateKey(opts.url)
  let localBlock = 0
  return {
    async wait(signal) {
      const t = now()
      if (localBlock > t) throw new RpcUnavailableError(`${opts.label} asked us to wait (Retry-After) for ${Math.ceil((localBlock - t) / 1000)} s more`)
      if (!limits) return
      const { slot, blockedUntil } = await limits.reserve(key, opts.label, opts.intervalMs, t)
      if (blockedUntil > t) {
        // Another process was told to wait (429/503 with Retry-After): so is this one. Failing
        // fast lets a fallback transport move on to the chain's next URL meanwhile.
        localBlock = Math.max(localBlock, blockedUntil)
        throw new RpcUnavailableError(`${opts.label} asked every process to wait (Retry-After) for ${Math.ceil((blockedUntil - t) / 1000)} s more`)
      }
      const wait = slot - now()
      if (wait > opts.maxWaitMs) {
        throw new RpcUnavailableError(`${opts.label}: the shared request budget is taken for the next ${Math.ceil(wait / 1000)} s (rate limit or Retry-After); not queueing past ${Math.ceil(opts.maxWaitMs / 1000)} s`)
      }
      if (wait > 0) {
        await sleep(wait, signal)
        // A Retry-After may have arrived while this request waited for its slot.
        const st = await limits.state(key)
        if (st && st.blockedUntil > now()) {
          localBlock = Math.max(localBlock, st.blockedUntil)
          throw new RpcUnavailableError(`${opts.label} asked every process to wait (Retry-After) for ${Math.ceil((st.blockedUntil - now()) / 1000)} s more`)
        }
      }
    },
    async retryAfter(ms) {
      const until = now() + Math.max(0, ms)
      localBlock = Math.max(localBlock, until)
      await limits?.block(key, opts.label, until)
    },
    blockedUntil: () => localBlock,
  }
}

/**
 * A Retry-After header in ms (RFC 9110: delay-seconds or an HTTP-date), or null when absent or
 * unreadable. Capped at `capMs` so a hostile or broken server cannot park us for a day.
 */
export function parseRetryAfter(value: string | null | undefined, now: number, capMs = 300_000): number | null {
  if (value == null) return null
  const v = value.trim()
  if (v === '') return null
  if (/^\d+$/.test(v)) return Math.min(capMs, Number(v) * 1000)
  const at = Date.parse(v)
  if (!Number.isFinite(at)) return null
  return Math.min(capMs, Math.max(0, at - now))
}
