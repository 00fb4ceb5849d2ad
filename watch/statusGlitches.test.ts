import { describe, expect, it } from 'vitest'
import { renderStatus, type StatusReport } from './statusReport'

const report = (info: unknown): StatusReport => ({ rows: [], alerts: [], recent: [], heartbeats: [{ agent: 'watcher-ethereum', pid: 42, beatAt: 1_000, info }], generatedAt: 3_000, pauses: [], totals: [] })

describe('status: watcher persistence', () => {
  it('shows the streaks pending persistence and the glitches counted instead of pushed', () => {
    const line = renderStatus(report({ block: '224', lag: 0, pendingAlerts: 1, glitches: { 'apy-drop': 4, unavailable: 1, liquidity: 0 } }))
      .split('\n')
      .find((l) => l.includes('watcher-ethereum'))!
    expect(line).toContain('block 224')
    expect(line).toContain('1 alert pending persistence')
    expect(line).toContain('glitches (not pushed): apy-drop 4, unavailable 1')
    expect(line).not.toContain('liquidity')
  })

  it('says nothing of them for a quiet watcher or another agent', () => {
    const text = renderStatus(report({ block: '7', pendingAlerts: 0, glitches: {} }))
    expect(text).not.toContain('pending persistence')
    expect(text).not.toContain('glitches')
    expect(renderStatus(report(null))).toContain('watcher-ethereum')
  })
})
