import { pino, type Logger } from 'pino'
import { rotatingWrite, rotationFromEnv } from './logRotate'

export type { Logger }

/** Keys whose values never reach a log line. */
const REDACT = ['key', 'privateKey', 'signerKey', 'token', 'secret', '*.privateKey', '*.signerKey', '*.token', '*.secret']

/**
 * pino JSON logger. An agent creates one (runtime/createAgent.ts) bound to `agent` (and `chain`
 * for a watcher); modules derive theirs with `childLogger`, which adds `plan`, `tx`, `step`…
 */
export function createLogger(bindings: Record<string, unknown> = {}, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  const opts = { level, base: { ...bindings }, redact: { paths: REDACT, censor: '[redacted]' } }
  // Under PM2 (ecosystem.config.js sets POOLWARDEN_LOG_FILE): the app's log file is rotated at write time.
  const rotation = rotationFromEnv()
  return rotation ? pino(opts, { write: rotatingWrite(rotation) }) : pino(opts)
}

/**
 * A child logger with only the fields the parent does not already carry with the same value:
 * pino writes every binding of every level of children, so `child({ agent })` under a logger
 * already bound to that agent would print `"agent"` twice on each line.
 */
export function childLogger(parent: Logger, bindings: Record<string, unknown>): Logger {
  const bound = parent.bindings()
  const fresh: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(bindings)) if (v !== undefined && bound[k] !== v) fresh[k] = v
  return Object.keys(fresh).length ? parent.child(fresh) : parent
}
