/**
 * Clean shutdown on SIGINT/SIGTERM: an AbortSignal loops watch, and hooks run in reverse order.
 */
export interface Shutdown {
  readonly signal: AbortSignal
  onShutdown(fn: () => Promise<void> | void): void
  shutdown(reason?: string): Promise<void>
}

export function createShutdown(opts: { handleSignals?: boolean; exit?: boolean } = {}): Shutdown {
  const controller = new AbortController()
  const hooks: Array<() => Promise<void> | void> = []
  let done: Promise<void> | undefined
  const shutdown = (reason = 'shutdown'): Promise<void> => {
    if (done) return done
    controller.abort(reason)
    done = (async () => {
      for (const fn of hooks.reverse()) {
        try {
          await fn()
        } catch {
          /* keep closing the rest */
        }
      }
    })()
    return done
  }
  if (opts.handleSignals) {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      process.once(sig, () => {
        void shutdown(sig).then(() => {
          if (opts.exit !== false) process.exit(0)
        })
      })
    }
  }
  return { signal: controller.signal, onShutdown: (fn) => void hooks.push(fn), shutdown }
}

/** Sleep that ends early (without throwing) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve()
    const t = setTimeout(done, ms)
    function done() {
      clearTimeout(t)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, { once: true })
  })
}
