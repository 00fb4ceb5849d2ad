import { pino, type Logger } from 'pino'

export type { Logger }

/** Keys whose values never reach a log line. */
const REDACT = ['key', 'privateKey', 'signerKey', 'token', 'secret', '*.privateKey', '*.signerKey', '*.token', '*.secret']

/** pino JSON logger; agents take a child with `agent`, `chain`, `plan`, `tx` fields. */
export function createLogger(bindings: Record<string, unknown> = {}, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { ...bindings }, redact: { paths: REDACT, censor: '[redacted]' } })
}
