import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isAddress } from 'viem'
import { afterAll, describe, expect, it } from 'vitest'
import { ConfigError } from '../core/errors'
import { loadConfig } from './load'
import { baseConfigInput as base } from './testing'
import { cooldownBlocksOf, maxSampleAgeBlocksOf, periodBlocksOf } from '../strategies/policy'

/** loadConfig reading files (the pure parsing is in load.test.ts). */
const EXAMPLE = join(import.meta.dirname, 'profiles', 'mainnet.example.json')
const dir = mkdtempSync(join(tmpdir(), 'poolwarden-config-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('mainnet example profile', () => {
  it('parses, with every address in EIP-55 form', () => {
    const cfg = loadConfig({ path: EXAMPLE })
    expect(cfg.chains.map((c) => [c.name, c.chainId])).toEqual([['ethereum', 1], ['arbitrum', 42161], ['base', 8453]])
    expect(cfg.chains.every((c) => c.rpc.length >= 2)).toBe(true)
    expect(cfg.venues.map((v) => v.kind).sort()).toEqual(['aave-v3', 'aave-v3', 'aave-v3', 'erc4626', 'lst', 'lst'])
    const text = readFileSync(EXAMPLE, 'utf8')
    const addresses = text.match(/0x[0-9a-fA-F]{40}\b/g) ?? []
    expect(addresses.length).toBeGreaterThan(20)
    for (const a of addresses) expect(isAddress(a, { strict: true }), a).toBe(true)
    for (const a of addresses) expect(a, 'written in checksum case').not.toBe(a.toLowerCase())
  })

  it('has a strategy whose limits mean the same time on every chain, and gas priced per chain from the fee history', () => {
    const cfg = loadConfig({ path: EXAMPLE })
    const s = cfg.strategy
    expect(s.costs.gas.source).toBe('fee-history')
    const custodyGas = { eoa: 128_000, safe: 275_000 }[cfg.custody.kind]
    expect(s.costs.gas.gasPerStep).toBe(custodyGas)
    const hours = (blocks: number, chain: string) => (blocks * cfg.chains.find((c) => c.name === chain)!.blockTimeMs) / 3_600_000
    for (const c of cfg.chains) {
      // The move budget's period: a day on each chain.
      expect(hours(periodBlocksOf(s, c.name), c.name), `${c.name} period`).toBe(24)
      // Samples at most ~2 minutes old (between 1 and 3) on each chain.
      const ageMin = hours(maxSampleAgeBlocksOf(s, c.name), c.name) * 60
      expect(ageMin, `${c.name} max sample age`).toBeGreaterThanOrEqual(1)
      expect(ageMin, `${c.name} max sample age`).toBeLessThanOrEqual(3)
      // A fee read no more than ~1 minute behind the sampled block.
      expect(hours(s.costs.gas.maxLagBlocksByChain[c.name] ?? s.costs.gas.maxLagBlocks, c.name) * 60, `${c.name} fee lag`).toBe(1)
    }
    // Every venue the allocator moves (the vaults and lending markets; LSTs are the idle collateral or swaps) cools down ~6 hours on its chain.
    for (const v of cfg.venues.filter((v) => v.kind !== 'lst')) {
      expect(hours(cooldownBlocksOf(s, v.id), v.chain), v.id).toBe(6)
    }
  })

  it('is reachable through POOLWARDEN_CONFIG', () => {
    const cfg = loadConfig({ env: { POOLWARDEN_CONFIG: EXAMPLE } })
    expect(cfg.profile).toBe('mainnet-example')
  })
})

describe('a file with invalid JSON', () => {
  it('is reported with its path as given, line and column', () => {
    writeFileSync(join(dir, 'bad.json'), '{\n  "profile": "x"\n  "chains": []\n}')
    let err: unknown
    try {
      loadConfig({ path: 'bad.json', cwd: dir })
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).problems).toEqual(['bad.json:3:3: invalid JSON: expected \',\' or \'}\' after a property value, got \'"\' (a missing comma?)'])
  })
})

describe('which file is loaded', () => {
  it('a missing devnet config says to run npm start', () => {
    expect(() => loadConfig({ cwd: dir, env: {} })).toThrow(/config: no config at \.devnet\/config\.json: run `npm start` first to generate the devnet config/)
  })

  it('a missing named file says so and where the name came from', () => {
    expect(() => loadConfig({ cwd: dir, env: { POOLWARDEN_CONFIG: 'nope.json' } })).toThrow('config: no config file at nope.json (from POOLWARDEN_CONFIG): check the path')
  })

  it('loads the devnet profile when present', () => {
    const devnet = mkdtempSync(join(dir, 'devnet-'))
    mkdirSync(join(devnet, '.devnet'), { recursive: true })
    writeFileSync(join(devnet, '.devnet', 'config.json'), JSON.stringify({ ...base(), profile: 'devnet' }))
    expect(loadConfig({ cwd: devnet, env: {} }).profile).toBe('devnet')
  })
})

