import { mnemonicToAccount, privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts'
import { toHex, type Hex } from 'viem'

/**
 * Anvil's well-known development accounts (mnemonic "test test … junk", m/44'/60'/0'/0/i):
 * #0..#9 funded with 10 000 ETH on every devnet chain by anvil, #10 funded by the deployment.
 * PUBLIC test keys: they live in devnet/ only and must never hold anything of value. Live code
 * gets its keys from env (config execution.keyEnv, governance.voter.keyEnv).
 */
export const ANVIL_MNEMONIC = 'test test test test test test test test test test test junk'

export const ANVIL_KEYS = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
  '0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba',
  '0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e',
  '0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356',
  '0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97',
  '0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6',
  // #10: not funded by anvil (it funds #0..#9); devnet/deploy.ts sends it ETH on every chain.
  '0xf214f2b2cd398c806f84e317254e0f0b801d0643303237d97a22a48e01628897',
] as const satisfies readonly Hex[]

/** Roles of the dev accounts on the devnet. */
export const ROLES = {
  /** #0 deploys and owns every devnet contract; also supplies "other users'" liquidity. */
  deployer: 0,
  /** #1 the pool's account (config.pool.account) and the executor's key: what POOLWARDEN_EXECUTOR_KEY holds on the devnet. */
  pool: 1,
  /**
   * #10 the governor's voting key (config governance.voter; POOLWARDEN_VOTER_KEY on the devnet):
   * its own account and nonces. The pool delegates its DAO votes to it; it administers the
   * signalling space.
   */
  voter: 10,
  /** #2..#5 hold pool shares (governance weights). */
  delegators: [2, 3, 4, 5],
  /** #7 the reward distributor's key (config rewards.signer; POOLWARDEN_DISTRIBUTOR_KEY on the devnet): its own nonces, a member of the pool's Roles role for setRoot and the funding only. */
  distributor: 7,
  /** #9 the market simulator's account (SimController operator), so it never races the deployer's nonces. */
  operator: 9,
} as const

export function devKey(index: number): Hex {
  const k = ANVIL_KEYS[index]
  if (!k) throw new Error(`no anvil dev key #${index} (0..${ANVIL_KEYS.length - 1})`)
  return k
}

export function devAccount(index: number): PrivateKeyAccount {
  return privateKeyToAccount(devKey(index))
}

/**
 * The devnet committee (config strategy.committee.members): the owners of the pool's Safe on every
 * chain. Their keys are the mnemonic's accounts #11..#13 (#10 is the governor's voting key) (outside anvil's ten funded accounts: an
 * owner only signs; the deployer submits the signed Safe transactions).
 */
export const COMMITTEE = { alice: 11, bob: 12, carol: 13 } as const
export type CommitteeName = keyof typeof COMMITTEE

const committeeKeys = new Map<CommitteeName, Hex>()

export function committeeKey(name: CommitteeName): Hex {
  let k = committeeKeys.get(name)
  if (!k) {
    const index = COMMITTEE[name]
    if (index === undefined) throw new Error(`no devnet committee member "${String(name)}" (known: ${Object.keys(COMMITTEE).join(', ')})`)
    k = toHex(mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: index }).getHdKey().privateKey!)
    committeeKeys.set(name, k)
  }
  return k
}

export function committeeAccount(name: CommitteeName): PrivateKeyAccount {
  return privateKeyToAccount(committeeKey(name))
}
