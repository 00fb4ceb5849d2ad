import { readFileSync } from 'node:fs'
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts'
import { ConfigError } from '../core/errors'
import type { Config } from './schema'

/**
 * Secrets come from the environment or from a file named by `${NAME}_FILE` (Docker/systemd
 * style), never from the config file. Values are trimmed. Errors name the variable and what is
 * wrong, never the value (not even a prefix of it). Nothing here logs.
 */

declare const secretBrand: unique symbol
/** A secret string read by `readSecret`. Do not log it or put it in errors. */
export type Secret<Kind extends string = 'secret'> = string & { readonly [secretBrand]: Kind }
/** The signer's private key: 0x + 64 hex digits, a valid secp256k1 scalar. */
export type SignerKey = `0x${string}` & { readonly [secretBrand]: 'signer-key' }

/**
 * The pool account of config/profiles/mainnet.example.json: a documented placeholder, not anyone's
 * account. `readSignerKey` refuses to hand out a key while the config still uses it, so nothing
 * signs on behalf of (or sends withdrawals to) this address by mistake.
 */
export const EXAMPLE_PLACEHOLDER_ACCOUNT = '0x00000000000000000000000000000000DeaDBeef'

type Env = Record<string, string | undefined>

/** A secret could not be read or is malformed. The message names the variable, never the value. */
export class SecretError extends ConfigError {
  override name = 'SecretError'
}

export interface ReadSecretOptions<Kind extends string> {
  /** Returns what is wrong with the (trimmed) value, or undefined when it is fine. Must not quote the value. */
  validate?: (value: string) => string | undefined
  /** What a valid value looks like, for the "not set" message (e.g. "a bot token from @BotFather"). */
  describe?: string
  /** Brand of the returned type. */
  kind?: Kind
}

/**
 * The secret in env var `name`, or in the file named by `${name}_FILE`. Exactly one of the two
 * must be set. Throws SecretError (never containing the value).
 */
export function readSecret<Kind extends string = 'secret'>(name: string, env: Env = process.env, opts: ReadSecretOptions<Kind> = {}): Secret<Kind> {
  const value = readRaw(name, env, opts.describe)
  const problem = opts.validate?.(value)
  if (problem) throw new SecretError([`secret ${name}: ${problem} (value not shown)`])
  return value as Secret<Kind>
}

/** Like readSecret, but undefined when neither `name` nor `${name}_FILE` is set (optional features). */
export function readOptionalSecret<Kind extends string = 'secret'>(name: string, env: Env = process.env, opts: ReadSecretOptions<Kind> = {}): Secret<Kind> | undefined {
  if (!isSet(env[name]) && !isSet(env[`${name}_FILE`])) return undefined
  return readSecret(name, env, opts)
}

/** secp256k1 group order: a private key is an integer in [1, n-1]. */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n

/** What is wrong with a private key string, or undefined. Never quotes the key. */
export function privateKeyProblem(value: string): string | undefined {
  if (!/^0x[0-9a-fA-F]{64}$/.test(value)) {
    const hint = /^[0-9a-fA-F]{64}$/.test(value) ? ': add the 0x prefix' : ''
    return `not a private key: expected 0x followed by 64 hex digits (got ${value.length} characters)${hint}`
  }
  const k = BigInt(value)
  if (k === 0n || k >= SECP256K1_N) return 'not a private key: outside the secp256k1 range'
  return undefined
}

/** A private key from env var `name` or the file named by `${name}_FILE`, validated as 0x + 64 hex digits. */
export function readPrivateKey(name: string, env: Env = process.env): SignerKey {
  const key = readSecret(name, env, { validate: privateKeyProblem, describe: '0x followed by 64 hex digits', kind: 'signer-key' })
  return key as string as SignerKey
}

function refusePlaceholder(config: Pick<Config, 'pool'>): void {
  if (config.pool.account.toLowerCase() === EXAMPLE_PLACEHOLDER_ACCOUNT.toLowerCase()) {
    throw new SecretError([
      `pool.account: still the example placeholder ${EXAMPLE_PLACEHOLDER_ACCOUNT}: set it to your pool's address before giving poolwarden a signer key`,
    ])
  }
}

/**
 * The executor's private key, from env var `config.execution.keyEnv` or the file named by
 * `${keyEnv}_FILE`. Validated as 0x + 64 hex digits. Refused while `pool.account` is the example
 * placeholder.
 */
export function readSignerKey(config: Pick<Config, 'pool' | 'execution'>, env: Env = process.env): SignerKey {
  refusePlaceholder(config)
  return readPrivateKey(config.execution.keyEnv, env)
}

function readRaw(name: string, env: Env, describe = 'the secret'): string {
  const fileVar = `${name}_FILE`
  const direct = env[name]
  const file = env[fileVar]
  if (isSet(direct) && isSet(file)) {
    throw new SecretError([`secret ${name}: both ${name} and ${fileVar} are set: keep one`])
  }
  if (isSet(file)) {
    const path = file.trim()
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'read error'
      // The path is not secret; the error object is not attached (it holds nothing useful beyond the code).
      throw new SecretError([`secret ${name}: cannot read the file named by ${fileVar} (${path}): ${code}`])
    }
    const value = text.trim()
    if (!value) throw new SecretError([`secret ${name}: the file named by ${fileVar} (${path}) is empty`])
    return value
  }
  if (isSet(direct)) return direct.trim()
  throw new SecretError([`secret ${name}: not set: export ${name} (${describe}) or ${fileVar}=/path/to/a/file holding it`])
}

function isSet(v: string | undefined): v is string {
  return v !== undefined && v.trim() !== ''
}

/**
 * The executor's signing account (one key, one job: only the executor process has it): the key
 * from readSignerKey, refused unless it signs for `pool.account` (custody "eoa") or for
 * `custody.executor`, the Roles member (custody "safe": `pool.account` is then the Safe).
 */
export function readExecutorSigner(config: Pick<Config, 'pool' | 'execution'> & Partial<Pick<Config, 'custody'>>, env: Env = process.env): PrivateKeyAccount {
  const account = privateKeyToAccount(readSignerKey(config, env))
  // Custody "safe": pool.account is the Safe; the key is the executor's (a member of the Roles role).
  const executor = config.custody?.kind === 'safe' ? config.custody.executor : undefined
  if (executor) {
    if (account.address.toLowerCase() !== executor.toLowerCase()) {
      throw new ConfigError([`execution.keyEnv: the key in ${config.execution.keyEnv} signs for ${account.address}, not custody.executor ${executor}: use the executor's key`])
    }
    return account
  }
  if (account.address.toLowerCase() !== config.pool.account.toLowerCase()) {
    throw new ConfigError([`execution.keyEnv: the key in ${config.execution.keyEnv} signs for ${account.address}, not pool.account ${config.pool.account}: use the pool's key`])
  }
  return account
}

/**
 * The governor's voting account, from env var `config.governance.voter.keyEnv` (or its `_FILE`):
 * its own key with its own nonces, never the executor's. Refused when it signs for `pool.account`
 * (that is the executor's key) or, with `governance.voter.account` set, for any other address.
 * The pool's voting weight reaches it by delegation (Snapshot and ERC20Votes `delegate`).
 */
export function readVoterSigner(config: Pick<Config, 'pool' | 'governance'> & Partial<Pick<Config, 'custody'>>, env: Env = process.env): PrivateKeyAccount {
  refusePlaceholder(config)
  const voter = config.governance.voter
  const account = privateKeyToAccount(readPrivateKey(voter.keyEnv, env))
  const executor = config.custody?.kind === 'safe' ? config.custody.executor : undefined
  if (executor && account.address.toLowerCase() === executor.toLowerCase()) {
    throw new ConfigError([`governance.voter.keyEnv: the key in ${voter.keyEnv} is the executor's (custody.executor ${executor}): give the governor its own key`])
  }
  if (account.address.toLowerCase() === config.pool.account.toLowerCase()) {
    throw new ConfigError([
      `governance.voter.keyEnv: the key in ${voter.keyEnv} is the pool's own key (${config.pool.account}), the executor's: give the governor its own key and delegate the pool's votes to it`,
    ])
  }
  if (voter.account && account.address.toLowerCase() !== voter.account.toLowerCase()) {
    throw new ConfigError([`governance.voter.keyEnv: the key in ${voter.keyEnv} signs for ${account.address}, not governance.voter.account ${voter.account}: use the voting key`])
  }
  return account
}

/**
 * The distributor's signing account (`rewards.signer.keyEnv`, or its `_FILE`). Custody "safe": its
 * own key, the only member of its own Roles role (`rewards.roleKey`: setRoot, collateral.transfer
 * to the distributor within `rewards.fundingAllowance`); it must sign for
 * `rewards.signer.account` and be neither the executor's nor the voter's key. Custody "eoa": the
 * pool's own account owns the distributor and holds the funds, so the key must be the pool's.
 */
export function readDistributorSigner(config: Pick<Config, 'pool' | 'governance' | 'rewards'> & Partial<Pick<Config, 'custody'>>, env: Env = process.env): PrivateKeyAccount {
  refusePlaceholder(config)
  const r = config.rewards
  if (!r) throw new ConfigError(['rewards: missing: the distributor needs the rewards section (chain, distributor, feeRecipient, signer)'])
  const account = privateKeyToAccount(readPrivateKey(r.signer.keyEnv, env))
  const addr = account.address.toLowerCase()
  if (config.custody?.kind === 'safe') {
    if (addr !== r.signer.account.toLowerCase()) throw new ConfigError([`rewards.signer.keyEnv: the key in ${r.signer.keyEnv} signs for ${account.address}, not rewards.signer.account ${r.signer.account}: use the distributor's key`])
    if (config.custody.executor && addr === config.custody.executor.toLowerCase()) throw new ConfigError([`rewards.signer.keyEnv: the key in ${r.signer.keyEnv} is the executor's (custody.executor): give the distributor its own key`])
    if (config.governance.voter.account && addr === config.governance.voter.account.toLowerCase()) throw new ConfigError([`rewards.signer.keyEnv: the key in ${r.signer.keyEnv} is the governor's voting key: give the distributor its own key`])
    return account
  }
  if (addr !== config.pool.account.toLowerCase()) throw new ConfigError([`rewards.signer.keyEnv: custody "eoa": the distributor acts for pool.account ${config.pool.account} (it owns the distributor and holds the funds), but the key in ${r.signer.keyEnv} signs for ${account.address}`])
  return account
}
