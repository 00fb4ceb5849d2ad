import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ConfigError } from '../core/errors'
import { EXAMPLE_PLACEHOLDER_ACCOUNT, SecretError, readExecutorSigner, readOptionalSecret, readSecret, readSignerKey, readVoterSigner } from './secrets'
import { loadConfig } from './load'

const dir = mkdtempSync(join(tmpdir(), 'poolwarden-secrets-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

// anvil's first dev account key: public knowledge, not a secret.
const KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'
// anvil's second dev account key (another public test key): the governor's voting key here.
const VOTER_KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d'
const VOTER = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const config = {
  pool: { account: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266' },
  execution: { keyEnv: 'TEST_SIGNER_KEY' },
  governance: { voter: { keyEnv: 'TEST_VOTER_KEY' } },
} as const
const cfg = config as unknown as Parameters<typeof readSignerKey>[0] & Parameters<typeof readVoterSigner>[0]

function thrown(f: () => unknown): SecretError {
  try {
    f()
  } catch (e) {
    expect(e).toBeInstanceOf(SecretError)
    expect(e).toBeInstanceOf(ConfigError)
    return e as SecretError
  }
  throw new Error('expected a SecretError')
}

describe('readSignerKey', () => {
  it('reads the key from the env var named by execution.keyEnv (trimmed)', () => {
    expect(readSignerKey(cfg, { TEST_SIGNER_KEY: ` ${KEY}\n` })).toBe(KEY)
  })

  it('reads the key from ${keyEnv}_FILE (trimmed)', () => {
    const file = join(dir, 'key')
    writeFileSync(file, `${KEY}\n`)
    expect(readSignerKey(cfg, { TEST_SIGNER_KEY_FILE: file })).toBe(KEY)
  })

  it('refuses a malformed key, naming the variable and never echoing the value', () => {
    const bad = KEY.slice(0, 62) + 'zzzz'
    const e = thrown(() => readSignerKey(cfg, { TEST_SIGNER_KEY: bad }))
    expect(e.problems).toEqual(['secret TEST_SIGNER_KEY: not a private key: expected 0x followed by 64 hex digits (got 66 characters) (value not shown)'])
    expect(e.message).not.toContain(bad.slice(2, 12))
    expect(JSON.stringify(e)).not.toContain(bad.slice(2, 12))
    expect(String(e.stack)).not.toContain(bad.slice(2, 12))
  })

  it('suggests the 0x prefix without showing the key', () => {
    const e = thrown(() => readSignerKey(cfg, { TEST_SIGNER_KEY: KEY.slice(2) }))
    expect(e.message).toContain('add the 0x prefix')
    expect(e.message).not.toContain(KEY.slice(2, 12))
  })

  it('refuses a key outside the secp256k1 range', () => {
    const e = thrown(() => readSignerKey(cfg, { TEST_SIGNER_KEY: '0x' + '0'.repeat(64) }))
    expect(e.problems[0]).toMatch(/outside the secp256k1 range/)
  })

  it('says how to set it when missing', () => {
    const e = thrown(() => readSignerKey(cfg, {}))
    expect(e.problems).toEqual([
      'secret TEST_SIGNER_KEY: not set: export TEST_SIGNER_KEY (0x followed by 64 hex digits) or TEST_SIGNER_KEY_FILE=/path/to/a/file holding it',
    ])
  })

  it('refuses both sources at once', () => {
    const e = thrown(() => readSignerKey(cfg, { TEST_SIGNER_KEY: KEY, TEST_SIGNER_KEY_FILE: '/x' }))
    expect(e.problems[0]).toBe('secret TEST_SIGNER_KEY: both TEST_SIGNER_KEY and TEST_SIGNER_KEY_FILE are set: keep one')
  })

  it('names an unreadable or empty file', () => {
    expect(thrown(() => readSignerKey(cfg, { TEST_SIGNER_KEY_FILE: join(dir, 'missing') })).problems[0]).toBe(
      `secret TEST_SIGNER_KEY: cannot read the file named by TEST_SIGNER_KEY_FILE (${join(dir, 'missing')}): ENOENT`,
    )
    const empty = join(dir, 'empty')
    writeFileSync(empty, '\n')
    expect(thrown(() => readSignerKey(cfg, { TEST_SIGNER_KEY_FILE: empty })).problems[0]).toMatch(/is empty$/)
  })

  it('refuses to hand out a key while pool.account is the example placeholder', () => {
    const example = loadConfig({ path: join(import.meta.dirname, 'profiles', 'mainnet.example.json') })
    expect(example.pool.account).toBe(EXAMPLE_PLACEHOLDER_ACCOUNT)
    const e = thrown(() => readSignerKey(example, { POOLWARDEN_EXECUTOR_KEY: KEY }))
    expect(e.problems[0]).toMatch(/^pool\.account: still the example placeholder/)
    expect(e.message).not.toContain(KEY.slice(2, 12))
    expect(thrown(() => readVoterSigner(example, { POOLWARDEN_VOTER_KEY: VOTER_KEY })).problems[0]).toMatch(/^pool\.account: still the example placeholder/)
  })
})

describe('readSecret', () => {
  it('reads other secrets the same way, with an optional validator', () => {
    const token = '123456:ABC-def'
    expect(readSecret('TELEGRAM_BOT_TOKEN', { TELEGRAM_BOT_TOKEN: token })).toBe(token)
    const file = join(dir, 'token')
    writeFileSync(file, token + '\n')
    expect(readSecret('TELEGRAM_BOT_TOKEN', { TELEGRAM_BOT_TOKEN_FILE: file })).toBe(token)
    const e = thrown(() =>
      readSecret('TELEGRAM_BOT_TOKEN', { TELEGRAM_BOT_TOKEN: 'oops-secret' }, { validate: (v) => (/^\d+:[\w-]+$/.test(v) ? undefined : 'not a bot token') }),
    )
    expect(e.problems).toEqual(['secret TELEGRAM_BOT_TOKEN: not a bot token (value not shown)'])
    expect(e.message).not.toContain('oops-secret')
  })

  it('readOptionalSecret is undefined when neither source is set', () => {
    expect(readOptionalSecret('NOPE', {})).toBeUndefined()
    expect(readOptionalSecret('NOPE', { NOPE: 'x' })).toBe('x')
  })
})

describe('readExecutorSigner', () => {
  it("gives the pool's account only for the key that signs for pool.account", () => {
    expect(readExecutorSigner(cfg, { TEST_SIGNER_KEY: KEY }).address).toBe(config.pool.account)
    const other = { ...config, pool: { ...config.pool, account: VOTER } } as unknown as typeof cfg
    expect(() => readExecutorSigner(other, { TEST_SIGNER_KEY: KEY })).toThrow(ConfigError)
    expect(() => readExecutorSigner(other, { TEST_SIGNER_KEY: KEY })).toThrow(/execution\.keyEnv: the key in TEST_SIGNER_KEY signs for 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266, not pool.account 0x70997970/)
  })

  it("reads only its own variable: the voter's key in the environment is not the executor's", () => {
    const e = thrown(() => readExecutorSigner(cfg, { TEST_VOTER_KEY: VOTER_KEY }))
    expect(e.problems).toEqual(['secret TEST_SIGNER_KEY: not set: export TEST_SIGNER_KEY (0x followed by 64 hex digits) or TEST_SIGNER_KEY_FILE=/path/to/a/file holding it'])
  })
})

describe('readVoterSigner', () => {
  it("reads the governor's own key from governance.voter.keyEnv", () => {
    expect(readVoterSigner(cfg, { TEST_VOTER_KEY: VOTER_KEY }).address).toBe(VOTER)
    const file = join(dir, 'voter')
    writeFileSync(file, `${VOTER_KEY}\n`)
    expect(readVoterSigner(cfg, { TEST_VOTER_KEY_FILE: file }).address).toBe(VOTER)
  })

  it("refuses the pool's (executor's) key: one key, one job", () => {
    const e = (() => {
      try {
        readVoterSigner(cfg, { TEST_VOTER_KEY: KEY })
      } catch (err) {
        return err as ConfigError
      }
      throw new Error('expected a ConfigError')
    })()
    expect(e).toBeInstanceOf(ConfigError)
    expect(e.problems[0]).toMatch(/^governance\.voter\.keyEnv: the key in TEST_VOTER_KEY is the pool's own key \(0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\), the executor's/)
    expect(e.message).not.toContain(KEY.slice(2, 12))
  })

  it('refuses a key for another address than governance.voter.account', () => {
    const pinned = { ...config, governance: { voter: { keyEnv: 'TEST_VOTER_KEY', account: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC' } } } as unknown as typeof cfg
    expect(() => readVoterSigner(pinned, { TEST_VOTER_KEY: VOTER_KEY })).toThrow(/signs for 0x70997970C51812dc3A010C7d01b50e0d17dc79C8, not governance.voter.account 0x3C44/)
    expect(() => readVoterSigner(cfg, {})).toThrow(/secret TEST_VOTER_KEY: not set/)
  })

  it('custody "safe": the key must be the executor\'s (a role member), never checked against the Safe', () => {
    const safe = { ...config, pool: { ...config.pool, account: '0x96424741e24C4d008204D63EB07D2c30d94F4De3' }, custody: { kind: 'safe', executor: config.pool.account } } as unknown as typeof cfg
    expect(readExecutorSigner(safe, { TEST_SIGNER_KEY: KEY }).address).toBe(config.pool.account)
    const wrong = { ...safe, custody: { kind: 'safe', executor: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' } } as unknown as typeof cfg
    expect(() => readExecutorSigner(wrong, { TEST_SIGNER_KEY: KEY })).toThrow(/not custody.executor 0x70997970C51812dc3A010C7d01b50e0d17dc79C8: use the executor's key/)
  })
})
