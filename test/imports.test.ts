import { describe, expect, it } from 'vitest'
import { importCircles, layerViolations, type ImportGraph } from './imports'

const graph = (edges: Record<string, string[]>): ImportGraph => new Map(Object.entries(edges).map(([k, v]) => [k, new Set(v)]))

describe('importCircles', () => {
  it('finds the two circles of the issue, and nothing in a tree', () => {
    const g = graph({
      'config/schema.ts': ['telegram/config.ts', 'core/errors.ts'],
      'telegram/config.ts': ['config/secrets.ts'],
      'config/secrets.ts': ['config/schema.ts', 'core/errors.ts'],
      'devnet/deploy.ts': ['devnet/wormhole/deploy.ts'],
      'devnet/wormhole/deploy.ts': ['devnet/deploy.ts'],
      'core/errors.ts': [],
      'agents/watcher.ts': ['config/schema.ts'],
    })
    expect(importCircles(g)).toEqual(
      expect.arrayContaining([
        ['config/schema.ts', 'config/secrets.ts', 'telegram/config.ts'],
        ['devnet/deploy.ts', 'devnet/wormhole/deploy.ts'],
      ]),
    )
    expect(importCircles(g)).toHaveLength(2)
    expect(importCircles(graph({ 'a.ts': ['b.ts', 'c.ts'], 'b.ts': ['c.ts'], 'c.ts': [] }))).toEqual([])
  })

  it('counts a file importing itself', () => {
    expect(importCircles(graph({ 'a.ts': ['a.ts'] }))).toEqual([['a.ts']])
  })
})

describe('layerViolations', () => {
  it('names the file, the import and the rule; test files and exceptions are exempt', () => {
    const g = graph({
      'config/schema.ts': ['telegram/config.ts'],
      'config/schema.test.ts': ['telegram/config.ts'],
      'strategies/risk.ts': ['store/types.ts', 'store/db.ts'],
    })
    expect(
      layerViolations(g, [
        { from: 'config/', not: ['telegram/'], why: 'config knows nothing of telegram' },
        { from: 'strategies/', not: ['store/'], except: ['store/types.ts'], why: 'pure' },
      ]),
    ).toEqual(['config/schema.ts imports telegram/config.ts: config knows nothing of telegram', 'strategies/risk.ts imports store/db.ts: pure'])
  })
})
