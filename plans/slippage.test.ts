import { describe, expect, it } from 'vitest'
import { boundOf, describeSlippage, makePreview, previewAmount, previewWhat, storedPreviewOf, toStoredPreview, withinBound } from './slippage'

const E = 10n ** 18n

describe('slippage previews and bounds', () => {
  it('what each step previews: vault shares out / in, aave aTokens / assets out, nothing for idle or cross-chain steps', () => {
    expect(previewWhat('erc4626', 'deposit')).toBe('sharesOut')
    expect(previewWhat('erc4626', 'withdraw')).toBe('sharesIn')
    expect(previewWhat('aave-v3', 'deposit')).toBe('aTokenOut')
    expect(previewWhat('aave-v3', 'withdraw')).toBe('assetsOut')
    expect(previewWhat('lst', 'deposit')).toBeUndefined()
    expect(previewWhat('erc4626', 'bridge')).toBeUndefined()
  })

  it('vault previews from the sampled rate (1.25 assets per share): 10 assets → 8 shares out; 10 assets need 8 shares in, rounded up', () => {
    expect(previewAmount('sharesOut', 10n * E, (5n * E) / 4n)).toBe(8n * E)
    expect(previewAmount('sharesIn', 10n * E, (5n * E) / 4n)).toBe(8n * E)
    // 1 wei of assets at 3 assets per share: 0 shares out (floor), 1 share in (ceiling).
    expect(previewAmount('sharesOut', 1n, 3n * E)).toBe(0n)
    expect(previewAmount('sharesIn', 1n, 3n * E)).toBe(1n)
    expect(previewAmount('sharesOut', 1n, null)).toBeUndefined()
    expect(previewAmount('aTokenOut', 7n, null)).toBe(7n)
  })

  it('bounds: 50 bps under a minimum out (floor), 50 bps over a maximum in (ceiling)', () => {
    expect(boundOf('sharesOut', 10_000n, 50)).toBe(9_950n)
    expect(boundOf('sharesIn', 10_000n, 50)).toBe(10_050n)
    expect(boundOf('sharesOut', 10_001n, 50)).toBe(9_950n) // 9950.995 floored
    expect(boundOf('sharesIn', 10_001n, 50)).toBe(10_052n) // 10051.005 up
    expect(boundOf('assetsOut', 10_000n, 0)).toBe(10_000n)
    expect(boundOf('aTokenOut', 10_000n, 12.5)).toBe(9_987n) // fractional bps
    expect(withinBound('sharesOut', 9_950n, 9_950n)).toBe(true)
    expect(withinBound('sharesOut', 9_950n, 9_949n)).toBe(false)
    expect(withinBound('sharesIn', 10_050n, 10_050n)).toBe(true)
    expect(withinBound('sharesIn', 10_050n, 10_051n)).toBe(false)
  })

  it('stored with the step and read back; a malformed one is no preview', () => {
    const p = makePreview({ venueKind: 'erc4626', kind: 'deposit', amount: 10n * E, rate: 2n * E, slippageBps: 100, block: 42n, source: 'decision' })!
    expect(p).toEqual({ what: 'sharesOut', amount: 5n * E, bound: (5n * E * 99n) / 100n, slippageBps: 100, block: 42n, source: 'decision' })
    const stored = JSON.parse(JSON.stringify({ preview: toStoredPreview(p) }))
    expect(storedPreviewOf(stored)).toEqual(p)
    expect(storedPreviewOf({ preview: { ...stored.preview, bound: '-1' } })).toBeUndefined()
    expect(storedPreviewOf({ preview: { ...stored.preview, what: 'sharesSideways' } })).toBeUndefined()
    expect(storedPreviewOf(null)).toBeUndefined()
    expect(makePreview({ venueKind: 'lst', kind: 'deposit', amount: 1n, rate: E, slippageBps: 50, block: 1n, source: 'decision' })).toBeUndefined()
  })

  it('the alert line names the step, the preview, the bound and the actual amount', () => {
    const p = makePreview({ venueKind: 'erc4626', kind: 'deposit', amount: 100n, rate: E, slippageBps: 50, block: 7n, source: 'decision' })!
    expect(describeSlippage({ idx: 2, kind: 'deposit', venueId: 'eth-vault' }, p, 90n, 'at block 9')).toBe(
      'step 2 (deposit eth-vault): shares out previewed 100 at block 7 (decision), minimum 99 at 50 bps; actual 90 at block 9: beyond the tolerance, the step was not made',
    )
  })
})
