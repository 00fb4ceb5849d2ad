import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { importCircles, importGraph, layerViolations, type LayerRule } from './imports'

/** The dependency rules of DESIGN.md that the code keeps; a new import breaking one fails here. */
const RULES: LayerRule[] = [
  { from: 'core/', not: ['agents/', 'runtime/', 'chains/', 'venues/', 'strategies/', 'execution/', 'governance/', 'telegram/', 'plans/', 'watch/', 'store/', 'config/', 'devnet/', 'scripts/', 'bench/', 'test/'], why: 'core/ imports nothing of the project' },
  { from: 'store/', not: ['agents/', 'runtime/', 'chains/', 'venues/', 'strategies/', 'execution/', 'governance/', 'telegram/', 'plans/', 'watch/', 'devnet/', 'scripts/', 'bench/'], why: 'store/ imports only config/ and core/' },
  { from: 'config/', not: ['agents/', 'runtime/', 'telegram/', 'chains/', 'venues/', 'execution/', 'watch/', 'plans/', 'store/', 'devnet/', 'scripts/', 'bench/'], why: 'config/ knows nothing of the packages it configures (a section schema lives in config/ or is pure)' },
  { from: '', not: ['agents/'], why: 'nothing imports agents/: an agent imports what it wires' },
  { from: 'web/', not: ['execution/', 'chains/', 'venues/', 'scripts/'], why: 'web/ reads the store: it never signs, never reaches a chain' },
  { from: 'metrics/', not: ['execution/', 'governance/', 'telegram/', 'chains/', 'plans/', 'watch/', 'venues/'], why: 'the exporter reads the store; it never signs, sends or reads a chain' },
  { from: 'sentinel/', not: ['execution/', 'governance/', 'telegram/', 'plans/', 'watch/', 'venues/', 'strategies/'], why: 'the sentinel reads heartbeats, PM2, heads and balances; it holds no key and writes only alerts' },
  { from: 'notify/', not: ['execution/', 'chains/', 'telegram/', 'governance/', 'watch/'], why: 'notifications are derived from the store and written to its outbox; Telegram delivers them' },
  { from: 'telegram/', not: ['execution/', 'chains/'], why: 'the bot writes approvals and controls to the store; the executor acts' },
  { from: 'strategies/', not: ['store/', 'chains/', 'venues/', 'execution/', 'telegram/', 'governance/', 'watch/', 'plans/', 'runtime/'], except: ['store/types.ts'], why: 'strategies/ decide purely: data in, decision out' },
  { from: 'rewards/', not: ['store/', 'chains/', 'execution/', 'telegram/', 'governance/', 'watch/', 'plans/', 'runtime/', 'strategies/'], why: 'rewards/ decides purely (share histories in, entitlements and a tree out) and reads chains through a client it is given; the distributor (execution/distributor/) does the store and the transactions' },
  ...['agents/', 'runtime/', 'execution/', 'governance/', 'venues/', 'chains/', 'watch/', 'plans/', 'telegram/', 'web/', 'store/', 'config/', 'rewards/'].map((from) => ({
    from,
    not: ['devnet/', 'test/'],
    why: 'live code does not know the devnet exists (it is reached through config only)',
  })),
]

const root = join(import.meta.dirname, '..')

describe('the import graph of the repository', () => {
  const graph = importGraph(root)

  it('covers the project (sanity: the graph is read, with edges)', () => {
    expect(graph.get('agents/executor.ts')).toContain('runtime/createAgent.ts')
    expect(graph.get('config/schema.ts')).toContain('config/telegram.ts')
  })

  it('has no import circle', () => {
    expect(importCircles(graph).map((c) => c.join(' → '))).toEqual([])
  })

  it('keeps the layering rules of DESIGN.md', () => {
    expect(layerViolations(graph, RULES)).toEqual([])
  })
})
