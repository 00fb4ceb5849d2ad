import { parseArgs } from 'node:util'
import { describe, expect, it } from 'vitest'
import { ConfigError, UsageError } from '../../core/errors'
import { cliErrorOf, wantsHelp } from './cli'

describe('the CLI error frame', () => {
  it('shows usage errors as they are (exit 2), config problems with their config: prefix (exit 1), others named by the script', () => {
    expect(cliErrorOf('plan', 'usage: x', new UsageError('unknown command "frob": usage: x'))).toEqual({ message: 'unknown command "frob": usage: x', code: 2 })
    expect(cliErrorOf('plan', 'usage: x', new ConfigError(['store.path: missing']))).toEqual({ message: 'config: store.path: missing', code: 1 })
    expect(cliErrorOf('plan', 'usage: x', new Error('disk full'))).toEqual({ message: 'plan: disk full', code: 1 })
  })

  it('turns parseArgs refusals (unknown option) into a usage error with the usage', () => {
    let err: unknown
    try {
      parseArgs({ args: ['--frob'], options: { as: { type: 'string' } } })
    } catch (e) {
      err = e
    }
    const r = cliErrorOf('plan', 'usage: npm run plan -- list', err)
    expect(r.code).toBe(2)
    expect(r.message).toMatch(/^plan: Unknown option '--frob'/)
    expect(r.message.endsWith('\nusage: npm run plan -- list')).toBe(true)
  })

  it('wants help on --help or -h anywhere', () => {
    expect(wantsHelp(['--help'])).toBe(true)
    expect(wantsHelp(['list', '-h'])).toBe(true)
    expect(wantsHelp(['list', '--helpful'])).toBe(false)
  })
})
