import { describe, expect, it } from 'vitest'
import { renderProposalTable, shortProposalId } from './proposalList'

const row = (o: Partial<Parameters<typeof renderProposalTable>[0][number]>) => ({
  upstreamId: '0xp1',
  status: 'seen',
  end: 1_800_086_400,
  tallyStatus: null,
  source: 'snapshot',
  space: 'upstream-dao.eth',
  chain: null,
  title: 'Raise the cap',
  ...o,
})

describe('the proposal list', () => {
  it('shortens long upstream ids to 10 characters and an ellipsis, keeps short ones whole', () => {
    expect(shortProposalId('0x8f3a9c2e11d04b7a6c5e9f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e')).toBe('0x8f3a9c2e…')
    expect(shortProposalId('73519466402835113066158591338210718917424466390542298787394557311417312387712')).toBe('7351946640…')
    expect(shortProposalId('0xp1')).toBe('0xp1')
    expect(shortProposalId('123456789012')).toBe('123456789012')
  })

  it('prints a header and aligned columns, the title last and unpadded', () => {
    const lines = renderProposalTable([
      row({ upstreamId: '0x8f3a9c2e11d04b7a6c5e9f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e', status: 'mirrored', tallyStatus: 'ok', title: 'Raise the cap' }),
      row({ upstreamId: '42', source: 'governor', space: null, chain: 'ethereum', status: 'closed', end: 1_800_000_000, title: 'Treasury swap' }),
    ])
    expect(lines).toEqual([
      'ID           STATUS    ENDS (UTC)        TALLY  WHERE              TITLE',
      '0x8f3a9c2e…  mirrored  2027-01-16 08:00  ok     upstream-dao.eth   Raise the cap',
      '42           closed    2027-01-15 08:00  -      ethereum governor  Treasury swap',
    ])
  })
})
