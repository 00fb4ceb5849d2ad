import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ConfigError } from '../core/errors'
import { EXAMPLE_PLACEHOLDER_ACCOUNT, SecretError, readOptionalSecret, readPoolSigner, readSecret, readSignerKey } from './secrets'
import { loadConfig } from './load'

const dir = mkdtempSync(join(tmpdir(), 'poolwarden-secrets-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

// anvil's first dev account key: public knowledge, not a secret.
const KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'
const config = { pool: { account: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266', signer: { keyEnv: 'TEST_SIGNER_KEY' } } } as const
const cfg = config as unknown as Parameters<typeof readSignerKey>[0]

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
  it('reads the key from the env var named by pool.signer.keyEnv (trimmed)', () => {
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
    const e = thrown(() => readSignerKey(example, { POOLWARDEN_SIGNER_KEY: KEY }))
    expect(e.problems[0]).toMatch(/^pool\.account: still the example placeholder/)
    expect(e.message).not.toContain(KEY.slice(2, 12))
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

describe('readPoolSigner', () => {
  it("gives the pool's account only for the key that signs for pool.account", () => {
    expect(readPoolSigner(cfg, { TEST_SIGNER_KEY: KEY }).address).toBe(config.pool.account)
    const other = { ...config, pool: { ...config.pool, account: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' } } as unknown as typeof cfg
    expect(() => readPoolSigner(other, { TEST_SIGNER_KEY: KEY })).toThrow(ConfigError)
    expect(() => readPoolSigner(other, { TEST_SIGNER_KEY: KEY })).toThrow(/signs for 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266, not pool.account 0x70997970/)
  })

  it('custody "safe": the key must be the executor\'s (a role member), never checked against the Safe', () => {
    const safe = { pool: { ...config.pool, account: '0x96424741e24C4d008204D63EB07D2c30d94F4De3' }, custody: { kind: 'safe', executor: config.pool.account } } as unknown as typeof cfg
    expect(readPoolSigner(safe, { TEST_SIGNER_KEY: KEY }).address).toBe(config.pool.account)
    const wrong = { ...safe, custody: { kind: 'safe', executor: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' } } as unknown as typeof cfg
    expect(() => readPoolSigner(wrong, { TEST_SIGNER_KEY: KEY })).toThrow(/not custody.executor 0x70997970C51812dc3A010C7d01b50e0d17dc79C8: use the executor's key/)
  })
})
