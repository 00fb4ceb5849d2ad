import { copyFileSync, existsSync, renameSync, statSync, truncateSync, unlinkSync } from 'node:fs'

/**
 * Size-bounded log files without a PM2 module. PM2 appends each app's output to one file (opened
 * with O_APPEND), so the file is rotated by copy-and-truncate: `file` is copied to `file.1`
 * (`file.1` → `file.2` …, at most `keep` kept) and truncated to zero; PM2's next write lands at
 * the start of the empty file. Lines PM2 writes between the copy and the truncate are lost (a few
 * at most: the check runs at write time, see `rotatingWrite`).
 */
export interface RotateOptions {
  maxBytes: number
  keep: number
}

/** Rotates `file` when it is larger than `maxBytes`; true if it did. Missing file: false. */
export function rotateIfOver(file: string, opts: RotateOptions): boolean {
  let size: number
  try {
    size = statSync(file).size
  } catch {
    return false
  }
  if (size <= opts.maxBytes) return false
  const keep = Math.max(1, opts.keep)
  if (existsSync(`${file}.${keep}`)) unlinkSync(`${file}.${keep}`)
  for (let i = keep - 1; i >= 1; i--) if (existsSync(`${file}.${i}`)) renameSync(`${file}.${i}`, `${file}.${i + 1}`)
  copyFileSync(file, `${file}.1`)
  truncateSync(file, 0)
  return true
}

/** Rotation settings from the environment ecosystem.config.js gives every app, or undefined. */
export function rotationFromEnv(env: Record<string, string | undefined> = process.env): (RotateOptions & { file: string }) | undefined {
  const file = env.POOLWARDEN_LOG_FILE?.trim()
  if (!file) return undefined
  const maxBytes = Number(env.POOLWARDEN_LOG_MAX_BYTES ?? 10 * 1024 * 1024)
  const keep = Number(env.POOLWARDEN_LOG_KEEP ?? 3)
  if (!Number.isFinite(maxBytes) || maxBytes <= 0 || !Number.isInteger(keep) || keep < 1) return undefined
  return { file, maxBytes, keep }
}

/**
 * A write function for the logger: writes each line to `out` (stdout, which PM2 appends to the
 * file) and, once a tenth of `maxBytes` has been written since the last look, checks the file's
 * size and rotates it. The file also collects what bypasses the logger (stderr of a crash), which
 * the size check counts too.
 */
export function rotatingWrite(opts: RotateOptions & { file: string }, out: { write(s: string): unknown } = process.stdout): (line: string) => void {
  const every = Math.max(4096, Math.floor(opts.maxBytes / 10))
  let since = every // look at the first write: the file may be over the limit from an earlier run
  return (line: string) => {
    out.write(line)
    since += Buffer.byteLength(line)
    if (since < every) return
    since = 0
    try {
      rotateIfOver(opts.file, opts)
    } catch {
      /* a log file we cannot rotate must never stop the app */
    }
  }
}
