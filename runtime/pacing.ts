import type { Config } from '../config/schema'
import type { Logger } from '../core/logger'
import { openRateLimits, rateLimitsPathFor, type RateLimits } from '../store/rateLimits'

/**
 * The pacing file shared by the agents (config `limits`; store/rateLimits.ts), or undefined when
 * `limits.shared` is off. The caller closes it on shutdown. A file that cannot be opened is logged
 * and the agent paces on its own (never stops an agent from starting).
 */
export async function openSharedPacing(config: Config, logger: Logger): Promise<RateLimits | undefined> {
  if (!config.limits.shared) return undefined
  const path = config.limits.path ?? rateLimitsPathFor(config.store.path)
  try {
    return await openRateLimits({ path, logger })
  } catch (err) {
    logger.warn({ path, err: (err as Error).message }, 'shared request pacing unavailable: pacing this process alone')
    return undefined
  }
}

/**
 * What createChainClient takes to pace over the shared file: every process that reads a chain
 * passes it, or its requests escape the URL's shared rate and another process's Retry-After
 * (issue 16: a 429 storm on a chain's URLs). Empty without a pacing file.
 */
export function pacedClient(config: Config, pacing: RateLimits | undefined): { pacing: RateLimits; maxPacingWaitMs: number } | Record<string, never> {
  return pacing ? { pacing, maxPacingWaitMs: config.limits.maxWaitMs } : {}
}
