import { z } from 'zod'

/**
 * `config.web`: the read-only dashboard (agents/web.ts, web/). It binds 127.0.0.1 by default: it
 * has no login, so expose it only behind something that authenticates (an SSH tunnel, a reverse
 * proxy with auth). The schema lives in config/ so the config imports nothing of web/.
 */
export const webConfig = z.object({
  /** Address to bind. Default 127.0.0.1 (this machine only). */
  host: z.string({ error: 'expected a host to bind, e.g. "127.0.0.1"' }).min(1, { error: 'empty host: use e.g. "127.0.0.1"' }).default('127.0.0.1'),
  /** TCP port (devnet default 3320). */
  port: z.number({ error: 'expected a TCP port number, e.g. 3320' }).int({ error: 'expected a whole port number, e.g. 3320' }).min(1, { error: 'a port is 1..65535, e.g. 3320' }).max(65_535, { error: 'a port is 1..65535, e.g. 3320' }).default(3320),
  /** Points per chart line: the samples are read at this many evenly spaced blocks of the range. */
  chartPoints: z.number({ error: 'expected a number of points, e.g. 120' }).int().min(10, { error: 'at least 10 points per chart' }).max(5_000, { error: 'at most 5000 points per chart' }).default(120),
  /** Rows per table at most (audit, plans, transfers); the page says when a table was cut. */
  maxRows: z.number({ error: 'expected a number of rows, e.g. 500' }).int().min(10, { error: 'at least 10 rows' }).max(100_000, { error: 'at most 100000 rows' }).default(500),
})

export type WebConfig = z.output<typeof webConfig>
