import { describe, expect, it } from 'vitest'
import { plannedRow, renderSurvives, renderTable, replaceSurvives, SECTION_BEGIN, SECTION_END, summary } from './table'
import type { FaultRow } from './types'

const row = (id: string, passed: boolean, nothingLost = passed): FaultRow => ({
  id,
  group: 'g',
  fault: `fault ${id} | with a pipe`,
  expected: `expected ${id}`,
  observed: `observed ${id}`,
  passed,
  nothingLost,
})

describe('fault table', () => {
  const rows = [row('a', true), row('b', false), plannedRow({ id: 'c', group: 'g', fault: 'fault c', expected: 'expected c' })]

  it('counts passed, failed and not-built rows apart', () => {
    expect(summary(rows)).toEqual({ passed: 1, failed: 1, planned: 1 })
  })

  it('prints one line per row with its verdicts (long cells wrapped, never cut)', () => {
    const long = { ...row('d', true), observed: 'word '.repeat(40).trim() }
    const text = renderTable([...rows, long])
    expect(text.split('\n')[0]).toMatch(/^fault\s+expected\s+observed\s+nothing lost\s+result$/)
    expect(text).toMatch(/observed a\s+yes\s+passed/)
    expect(text).toMatch(/observed b\s+no\s+FAILED/)
    expect(text).toMatch(/no case yet\s+—\s+not built/)
    expect(text.match(/word/g)).toHaveLength(40)
  })

  it('README section: a markdown table of the same rows between the markers, pipes escaped', () => {
    const s = renderSurvives(rows, { when: '2026-12-02', how: 'npm run faults' })
    expect(s.startsWith(SECTION_BEGIN)).toBe(true)
    expect(s.endsWith(SECTION_END)).toBe(true)
    expect(s).toContain('1 of 3 faults survived, 1 failed, 1 without a case yet')
    expect(s).toContain('| fault a \\| with a pipe | expected a | observed a | yes | passed |')
    expect(s).toContain('| observed b | no | **failed** |')
    expect(s).toContain('| fault c | expected c | no case yet | — | not built yet |')
  })

  it('adds the section before "Configuration and real chains" once, then replaces only it', () => {
    const readme = '# x\n\nintro\n\n## Configuration and real chains\n\ntext\n'
    const first = replaceSurvives(readme, renderSurvives([row('a', true)], { when: 'd1', how: 'h' }))
    expect(first.indexOf('## What poolwarden survives')).toBeLessThan(first.indexOf('## Configuration and real chains'))
    expect(first.indexOf('## What poolwarden survives')).toBeGreaterThan(first.indexOf('intro'))
    const second = replaceSurvives(first, renderSurvives([row('b', false)], { when: 'd2', how: 'h' }))
    expect(second.match(/## What poolwarden survives/g)).toHaveLength(1)
    expect(second).toContain('observed b')
    expect(second).not.toContain('observed a')
    expect(second.endsWith('## Configuration and real chains\n\ntext\n')).toBe(true)
  })
})
