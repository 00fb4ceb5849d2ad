import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { configSchema } from '../config/schema'
import type { Store } from '../store'
import { openTempStore } from '../store/testing'
import { buildStatus, renderStatus } from './statusReport'

const A = '0x0000000000000000000000000000000000000001'
const config = configSchema.parse({
  chains: [{ name: 'ethereum', chainId: 1, rpc: [{ url: 'http://127.0.0.1:1' }] }],
  pool: { account: A, collateral: [{ chain: 'ethereum', symbol: 'wstETH', token: A }] },
  venues: [
    { id: 'vault-a', chain: 'ethereum', kind: 'erc4626', protocol: 'x', address: A },
    { id: 'never-seen', chain: 'ethereum', kind: 'erc4626', protocol: 'x', address: A },
  ],
})

let store: Store
let cleanup: () => Promise<void>
beforeEach(async () => {
  ;({ store, cleanup } = await openTempStore())
})
afterEach(() => cleanup())

describe('status report', () => {
  it('shows each venue from its latest sample and position, open and recent alerts', async () => {
    const now = 1_800_000_000_000
    await store.cursors.commitBlock({
      chain: 'ethereum', blockNumber: 12n, blockHash: '0xab',
      samples: [{ venueId: 'vault-a', chain: 'ethereum', blockNumber: 12n, blockHash: '0xab', blockTime: now / 1000 - 3, available: true, apy: 0.0345, tvl: 5_000n * 10n ** 18n, withdrawable: 10n ** 18n, peg: 0.9991, paused: true }],
      positions: [{ chain: 'ethereum', venueId: 'vault-a', blockNumber: 12n, amount: 25n * 10n ** 17n }],
    })
    await store.alerts.raise({ dedupKey: 'paused:ethereum:vault-a', agent: 'watcher-ethereum', rule: 'paused', subject: 'vault-a', severity: 'critical', title: 'vault-a is paused', blockNumber: 12n, at: now - 1000 })
    const text = renderStatus(await buildStatus(config, store, now))
    const row = text.split('\n').find((l) => l.startsWith('ethereum  vault-a'))!
    expect(row).toContain('3.45%')
    expect(row).toContain('5,000')
    expect(row).toContain('2.500')
    expect(row).toContain('0.9991')
    expect(row).toContain('PAUSED')
    expect(row).toMatch(/12\s+3s$/)
    expect(text.split('\n').find((l) => l.includes('never-seen'))).toContain('no sample')
    expect(text).toContain('Open alerts (1):')
    expect(text).toContain('[CRITICAL] vault-a is paused (since block 12)')
    expect(text).toContain('▲ [CRITICAL] vault-a is paused (block 12)')
  })

  it('shows every active pause and which agents it holds', async () => {
    const now = 1_800_000_000_000
    for (const agent of ['executor', 'governor', 'watcher-ethereum']) await store.heartbeats.beat(agent, {}, { pid: 10, at: now - 2_000 })
    expect(renderStatus(await buildStatus(config, store, now))).toContain('Pauses: none')

    await store.controls.set('pause:governor', true, 'telegram:olga', now - 60_000)
    let text = renderStatus(await buildStatus(config, store, now))
    expect(text).toContain('Pauses: governor (by telegram:olga, 60s ago)')
    const agent = (name: string) => text.split('\n').find((l) => l.startsWith(`  ${name} `))!
    expect(agent('governor')).toMatch(/PAUSED \(pause governor\)$/)
    expect(agent('executor')).not.toContain('PAUSED')

    await store.controls.set('pause:all', true, 'cli', now - 5_000)
    await store.controls.set('pause:strategist', false, 'cli', now) // false: not a pause
    text = renderStatus(await buildStatus(config, store, now))
    expect(text).toContain('Pauses: all (every agent: the executor and the governor sign nothing) (by cli, 5s ago), governor (by telegram:olga, 60s ago)')
    expect(agent('governor')).toMatch(/PAUSED \(pause governor\)$/)
    expect(agent('executor')).toMatch(/PAUSED \(pause all\)$/)
    expect(agent('watcher-ethereum')).toMatch(/PAUSED \(pause all\)$/)
  })
})
