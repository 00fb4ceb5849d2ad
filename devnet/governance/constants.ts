/**
 * The devnet governance world's fixed names: the local Snapshot hub's address under `npm start`,
 * the two spaces, and which dev accounts play which governance role (anvil's public keys, see
 * devnet/accounts.ts). Devnet only: live code gets all of this from config.
 */

/** The PM2 app `snapshot-hub` listens here (127.0.0.1: snapshot.js Client712 rewrites `localhost:3000`). */
export const DEVNET_HUB_PORT = 3300
export const DEVNET_HUB_URL = `http://127.0.0.1:${DEVNET_HUB_PORT}`

/** Snapshot spaces on the local hub. */
export const DEVNET_SPACES = {
  /** The upstream DAO's Snapshot space (the pool votes here with its own key). */
  upstream: 'upstream-dao.eth',
  /** The pool's signalling space: the governor agent mirrors upstream proposals here; delegators vote here. */
  signals: 'poolwarden-signals.eth',
} as const

/** Dev account roles in the governance world. */
export const GOV_ROLES = {
  /** #6: an upstream DAO token holder: admin of the upstream space, author of upstream Snapshot proposals, proposer on the PoolGovernor. */
  upstreamAdmin: 6,
  /** #8: owner of the EIP-1271 wallet delegator (SimWallet1271; its first transaction on every chain deploys it, so the address is the same everywhere). */
  walletOwner: 8,
} as const

/** Pool shares (whole) of the EIP-1271 wallet per chain position (none on the third chain). */
export const WALLET_SHARES: ReadonlyArray<number> = [180, 90, 0]

/**
 * The tally policy's timings on the devnet (config governance.policy): the scenario's upstream
 * proposals last 10–13 minutes, so the mirrored signalling proposal ends 2 minutes before the
 * upstream end, and the pool first casts 5 minutes before it — while delegators still signal, so
 * re-casts on moving signals happen live (live defaults: 12 h and 6 h).
 */
export const DEVNET_GOVERNANCE_POLICY = { mirrorBufferSeconds: 120, castWindowSeconds: 300 } as const
