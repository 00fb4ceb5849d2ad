import { Writable } from 'node:stream'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../core/errors'
import { childLogger } from '../core/logger'
import { exitMessage, pollIntervalMs } from './createAgent'

describe('pollIntervalMs', () => {
  it('is half the fastest block time', () => {
    expect(pollIntervalMs([{ blockTimeMs: 12_000 }, { blockTimeMs: 2_000 }])).toBe(1_000)
    expect(pollIntervalMs([{ blockTimeMs: 12_000 }])).toBe(6_000)
  })
  it('never goes under 250 ms, and is 1 s without chains', () => {
    expect(pollIntervalMs([{ blockTimeMs: 250 }, { blockTimeMs: 12_000 }])).toBe(250)
    expect(pollIntervalMs([])).toBe(1_000)
  })
})

describe('exitMessage', () => {
  it('prints a config error as its lines and anything else with the agent name and cause chain', () => {
    expect(exitMessage('executor', new ConfigError(['pool.account: missing: add it', 'chains: empty']))).toBe('config: pool.account: missing: add it\nconfig: chains: empty')
    expect(exitMessage('executor', new Error('round failed', { cause: new Error('rpc down') }))).toBe('executor: round failed <- rpc down')
  })
})

describe('childLogger', () => {
  function capture() {
    const lines: string[] = []
    const stream = new Writable({ write: (chunk, _enc, cb) => (lines.push(String(chunk)), cb()) })
    return { lines, logger: pino({ base: { agent: 'watcher-ethereum', chain: 'ethereum' } }, stream) }
  }
  it('adds only the fields the parent does not carry: no line repeats a key', () => {
    const { lines, logger } = capture()
    childLogger(childLogger(logger, { agent: 'watcher-ethereum', chain: 'ethereum' }), { agent: 'watcher-ethereum', plan: 'p1' }).info('hello')
    const line = lines[0]!
    expect(line.match(/"agent"/g)).toHaveLength(1)
    expect(line.match(/"chain"/g)).toHaveLength(1)
    expect(JSON.parse(line)).toMatchObject({ agent: 'watcher-ethereum', chain: 'ethereum', plan: 'p1', msg: 'hello' })
  })
  it('pino itself would repeat them (the reason for childLogger)', () => {
    const { lines, logger } = capture()
    logger.child({ agent: 'watcher-ethereum' }).info('x')
    expect(lines[0]!.match(/"agent"/g)).toHaveLength(2)
  })
})
