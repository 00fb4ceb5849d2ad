import { describe, expect, it } from 'vitest'
import { fmtAge } from './statusReport'

describe('fmtAge', () => {
  it('says 0s for a beat written just after the report took its clock', () => {
    expect(fmtAge(-300)).toBe('0s')
  })
  it('keeps — for a clock far in the future', () => {
    expect(fmtAge(-120_000)).toBe('—')
  })
  it('rounds seconds, minutes and hours', () => {
    expect(fmtAge(5_400)).toBe('5s')
    expect(fmtAge(600_000)).toBe('10m')
    expect(fmtAge(10_800_000)).toBe('3h')
  })
})
