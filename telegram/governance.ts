/**
 * What the bot reads about governance (/proposals, /tally <id>). The agent passes
 * storeGovernanceReader (the governor agent's tables, telegram/governanceStore.ts); without one the
 * bot says there is no data.
 */
export interface GovernanceReader {
  /** A text listing the proposals being watched (open first). */
  listProposals(): Promise<string>
  /** The tally and receipt of one proposal as text, or undefined when the id is unknown. */
  receipt(id: string): Promise<string | undefined>
}

export const NO_GOVERNANCE: GovernanceReader = {
  listProposals: async () => 'no governance data yet: the governor agent has not recorded any proposal',
  receipt: async () => undefined,
}
