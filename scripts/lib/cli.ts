/**
 * The shared frame of every `npm run <script>`: a closed stdout (`npm run status | head`) ends the
 * script quietly with exit 0 instead of crashing with `Error: write EPIPE`; `--help`/`-h` prints
 * the usage; errors print one clear message — usage errors (exit 2) and config problems as they
 * are, anything else prefixed with the script's name (exit 1).
 */
import { ConfigError, UsageError, describeError } from '../../core/errors'

/** Ends the process quietly (exit 0) when the reader of `stream` went away (EPIPE); other errors still throw. */
export function quietOnClosedPipe(stream: NodeJS.WriteStream = process.stdout): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0)
    throw err
  })
}

/** True when the arguments ask for help (`--help` or `-h` anywhere). */
export const wantsHelp = (argv: readonly string[] = process.argv.slice(2)): boolean => argv.includes('--help') || argv.includes('-h')

/** Node's parseArgs errors (unknown option, missing value): a usage problem, not a crash. */
const isParseArgsError = (err: unknown): err is Error => typeof (err as { code?: unknown })?.code === 'string' && (err as { code: string }).code.startsWith('ERR_PARSE_ARGS')

/** The message and exit code a CLI shows for an error (pure; scripts/lib/cli.test.ts). */
export function cliErrorOf(name: string, usage: string | undefined, err: unknown): { message: string; code: number } {
  if (err instanceof UsageError) return { message: err.message, code: 2 }
  if (isParseArgsError(err)) return { message: `${name}: ${err.message}${usage ? `\n${usage}` : ''}`, code: 2 }
  if (err instanceof ConfigError) return { message: err.message, code: 1 }
  return { message: `${name}: ${describeError(err)}`, code: 1 }
}

/**
 * Runs a script's `main`: the closed-pipe guard, `--help` (when a usage is given), and the error
 * frame. `main` may return an exit code; otherwise `process.exitCode` (default 0) stands.
 */
export function runCli(name: string, main: () => Promise<number | void> | number | void, opts: { usage?: string; exit?: boolean } = {}): void {
  quietOnClosedPipe()
  if (opts.usage && wantsHelp()) {
    console.log(opts.usage)
    return
  }
  Promise.resolve()
    .then(main)
    .then(
      (code) => {
        if (typeof code === 'number') process.exitCode = code
        if (opts.exit) process.exit()
      },
      (err: unknown) => {
        const e = cliErrorOf(name, opts.usage, err)
        console.error(e.message)
        process.exit(e.code)
      },
    )
}
