import { describe, expect, it } from 'vitest'
import { ConfigError } from '../core/errors'
import { closest, configProblems, formatConfigProblems, parseConfig, parseConfigText, resolveConfigPath } from './load'
import { configSchema } from './schema'
import { ACCOUNT, baseConfigInput as base, WSTETH } from './testing'


/** The problem lines of a config (without the "config: " prefix), asserting it throws ConfigError. */
function problems(input: unknown): string[] {
  try {
    parseConfig(input)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    const e = err as ConfigError
    expect(e.message).toBe(e.problems.map((p) => `config: ${p}`).join('\n'))
    return e.problems
  }
  throw new Error('expected a ConfigError')
}

describe('loaded config', () => {
  it('is deeply frozen', () => {
    const cfg = parseConfig(base())
    expect(Object.isFrozen(cfg)).toBe(true)
    expect(Object.isFrozen(cfg.chains)).toBe(true)
    expect(Object.isFrozen(cfg.chains[0]!.rpc[0])).toBe(true)
    expect(Object.isFrozen(cfg.venues[0]!.risk.slashing)).toBe(true)
    expect(() => {
      ;(cfg.chains[0] as { name: string }).name = 'x'
    }).toThrow(TypeError)
  })

  it('applies defaults and normalises addresses to checksum form', () => {
    const input = base()
    input.pool.account = ACCOUNT.toLowerCase()
    const cfg = parseConfig(input)
    expect(cfg.pool.account).toBe(ACCOUNT)
    expect(cfg.execution.keyEnv).toBe('POOLWARDEN_EXECUTOR_KEY')
    expect(cfg.governance.voter.keyEnv).toBe('POOLWARDEN_VOTER_KEY')
    expect(cfg.execution.cancelAfterBlocks).toBe(50)
    expect(cfg.chains[0]!.finalityDepth).toBe(2)
  })

  it('execution and plans tunables default to the values the code used before they were configurable', () => {
    const cfg = parseConfig(base())
    expect(cfg.execution).toMatchObject({ bridgeWaitSeconds: 30, txMaxAttempts: 6, rpcAttempts: 4, gasPadPercent: 50, gasPadExtra: 50_000, verifyToleranceBps: 10, verifyAccrualPpm: 100 })
    expect(cfg.plans).toEqual({ sameStepBps: 100, sameStepOfLargestBps: 10, dustPpm: 1 })
    expect(problems({ ...base(), execution: { txMaxAttempts: 0 } })).toEqual(['execution.txMaxAttempts: must be greater than 0, got number 0'])
  })

  it('ignores "//" comment keys anywhere', () => {
    const input = base()
    input['//'] = 'top comment'
    input.venues[0]['// address'] = 'venue comment'
    input.chains[1]['//'] = { nested: 'comments may hold anything' }
    const cfg = parseConfig(input)
    expect(cfg).toEqual(parseConfig(base()))
    expect(Object.keys(cfg)).not.toContain('//')
    expect(Object.keys(cfg.venues[0]!)).not.toContain('// address')
  })
})

describe('config errors: one line per problem, path then problem then fix', () => {
  it('unknown chain', () => {
    const input = base()
    input.venues[2].chain = 'arbitrun'
    expect(problems(input)).toEqual(['venues[2].chain: unknown chain "arbitrun" (known: ethereum, arbitrum, base)'])
  })

  it('unknown chain or venue in a per-chain / per-venue strategy value (it would fall back to the default silently)', () => {
    const input = { ...base(), strategy: { maxSampleAgeBlocksByChain: { arbitrum: 480 }, allocation: { periodBlocksByChain: { arbitrun: 345_600 }, cooldownBlocksByVenue: { 'no-such-venue': 5 } }, costs: { gas: { extraPerStepByChain: { optimism: 0.00001 } } } } }
    const p = problems(input)
    expect(p).toHaveLength(3)
    expect(p).toContain('strategy.allocation.periodBlocksByChain.arbitrun: unknown chain "arbitrun" (known: ethereum, arbitrum, base)')
    expect(p).toContain('strategy.costs.gas.extraPerStepByChain.optimism: unknown chain "optimism" (known: ethereum, arbitrum, base)')
    expect(p).toContain('strategy.allocation.cooldownBlocksByVenue["no-such-venue"]: unknown venue "no-such-venue" (known: lido, vault, aave-arb)')
  })

  it('strategy.maxUnfinalisedBlocks that would leave every plan older than maxSampleAgeBlocks', () => {
    const input = base()
    for (const c of input.chains) c.finalityDepth = 64
    input.strategy = { maxUnfinalisedBlocks: 50, maxSampleAgeBlocksByChain: { arbitrum: 20, base: 14 } }
    expect(problems(input)).toEqual([
      'strategy.maxUnfinalisedBlocks: 50 leaves plans of ethereum 14 blocks behind its newest (finalityDepth 64), past strategy.maxSampleAgeBlocks 10: every plan would be refused as stale; raise maxUnfinalisedBlocks to at least 54 or raise maxSampleAgeBlocksByChain.ethereum',
    ])
  })

  it('malformed address', () => {
    const input = base()
    input.venues[1].address = '0x1234'
    expect(problems(input)).toEqual(['venues[1].address: malformed address "0x1234": expected 0x followed by 40 hex digits'])
  })

  it('bad checksum', () => {
    const input = base()
    input.pool.account = '0x00000000000000000000000000000000DEADBEEF'
    expect(problems(input)).toEqual([
      'pool.account: address "0x00000000000000000000000000000000DEADBEEF" has a wrong EIP-55 checksum: write it all lower-case or copy the checksummed form',
    ])
  })

  it('missing RPC: absent and empty', () => {
    const input = base()
    delete input.chains[1].rpc
    input.chains[2].rpc = []
    expect(problems(input)).toEqual([
      'chains[1].rpc: missing: add "rpc": [{ "url": "https://…" }] (at least one RPC URL)',
      'chains[2].rpc: no RPC URL: add at least one { "url": "https://…" } to rpc',
    ])
  })

  it('duplicate venue id', () => {
    const input = base()
    input.venues[2].id = 'lido'
    expect(problems(input)).toEqual(['venues[2].id: duplicate venue id "lido" (also venues[0]): venue ids must be unique'])
  })

  it('duplicate chain', () => {
    const input = base()
    input.chains[2].name = 'ethereum'
    input.chains[2].chainId = 1
    expect(problems(input)).toEqual([
      'chains[2].name: duplicate chain "ethereum" (also chains[0]): give each chain one entry',
      'chains[2].chainId: duplicate chainId 1 (also chains[0]): one entry per chain, each with its own chainId',
    ])
  })

  it('negative cap', () => {
    const input = base()
    input.venues[0].caps = { maxAmount: -5 }
    expect(problems(input)).toEqual(['venues[0].caps.maxAmount: a cap cannot be negative: use 0 to forbid the venue or remove the cap'])
  })

  it('unknown venue kind', () => {
    const input = base()
    input.venues[1].kind = 'vault'
    expect(problems(input)).toEqual(['venues[1].kind: unknown venue kind "vault": use one of "erc4626", "lst", "aave-v3"'])
  })

  it('missing venue kind', () => {
    const input = base()
    delete input.venues[1].kind
    expect(problems(input)).toEqual(['venues[1].kind: missing: add "kind": one of "erc4626", "lst", "aave-v3"'])
  })

  it('unknown top-level key, with the closest known key', () => {
    const input = base()
    input.venue = input.venues
    delete input.venues
    expect(problems(input)).toEqual(['venue: unknown key "venue": did you mean "venues"?'])
  })

  it('unknown key without a near match lists the known keys', () => {
    const input = base()
    input.colour = 'blue'
    const lines = problems(input)
    expect(lines).toHaveLength(1)
    // The list grows with every config section; it must name the real ones, and only keys.
    expect(lines[0]).toMatch(/^colour: unknown key "colour" \(known: [a-z, ]+\): remove it or fix its name$/)
    const known = lines[0]!.match(/\(known: ([^)]*)\)/)![1]!.split(', ')
    expect(known).toEqual(expect.arrayContaining(['profile', 'store', 'chains', 'pool', 'venues', 'alerts', 'watch', 'execution', 'plans', 'strategy', 'governance', 'telegram', 'wormhole', 'custody']))
    expect(known).not.toContain('colour')
  })

  it('unknown nested key (a misspelt optional field would be silently ignored otherwise)', () => {
    const input = base()
    input.venues[0].pegfeed = WSTETH
    expect(problems(input)).toEqual(['venues[0].pegfeed: unknown key "pegfeed": did you mean "pegFeed"?'])
  })

  it('pool.signer (one key for every agent) is refused with where the keys went', () => {
    const input = base()
    input.pool.signer = { keyEnv: 'POOLWARDEN_SIGNER_KEY' }
    expect(problems(input)).toEqual([
      "pool.signer: moved: each signing agent has its own key now: the executor's env var name goes in execution.keyEnv (default POOLWARDEN_EXECUTOR_KEY), the governor's in governance.voter.keyEnv (default POOLWARDEN_VOTER_KEY); remove pool.signer",
    ])
  })

  it('runtime.leaseSeconds under 1 s is refused with the fix; the lease and the redeem cap have defaults', () => {
    const input = base()
    input.runtime = { leaseSeconds: 0.5 }
    expect(problems(input)).toEqual(['runtime.leaseSeconds: a lease under 1 s would lapse between renewals: use 1 or more (default 5)'])
    input.runtime = {}
    input.execution = { redeemMaxAttempts: 0 }
    expect(problems(input)).toEqual(['execution.redeemMaxAttempts: at least one redeem must be tried: use 1 or more (default 3)'])
  })

  it('cancelAfterBlocks must leave room for the fee-bumped replacements', () => {
    const input = base()
    input.execution = { stuckAfterBlocks: 5, cancelAfterBlocks: 5 }
    expect(problems(input)).toEqual([
      'execution.cancelAfterBlocks: 5 must be more than stuckAfterBlocks (5): a stuck tx is first replaced with higher fees, then cancelled',
    ])
  })

  it('missing required fields say what to add', () => {
    expect(problems({ chains: base().chains })).toEqual([
      'pool: missing: add "pool": { "account": "0x…", "collateral": [{ "chain": "…", "symbol": "wstETH", "token": "0x…" }] }',
    ])
    const input = base()
    delete input.pool.account
    delete input.venues[2].dataProvider
    expect(problems(input)).toEqual([
      `pool.account: missing: add "account": "0x…" (the pool's public address)`,
      `venues[2].dataProvider: missing: add "dataProvider": "0x…" (the market's AaveProtocolDataProvider)`,
    ])
  })

  it('wrong types name what was expected and what was found', () => {
    const input = base()
    input.chains[0].chainId = '1'
    expect(problems(input)).toEqual(['chains[0].chainId: expected a number, got the string "1"'])
  })

  it('not an object', () => {
    expect(problems([])).toEqual(['(top level): expected a JSON object { "chains": […], "pool": {…}, "venues": […] }, got a list'])
  })

  it('several problems at once: one line each, cross-field ones alongside base errors, no duplicates', () => {
    const input = base()
    input.chains[0].rpc = [] // base error
    input.chains[1].chainId = -1 // base error
    input.pool.account = '0xnope' // base error
    input.venues[0].caps = { maxShareBps: -1 } // base error
    input.venues[1].chain = 'arbitrun' // cross-field
    input.venues[2].id = 'lido' // cross-field
    input.pool.collateral[0].chain = 'optimism' // cross-field
    input.venue = [] // unknown key
    expect(problems(input)).toEqual([
      'chains[0].rpc: no RPC URL: add at least one { "url": "https://…" } to rpc',
      'chains[1].chainId: must be greater than 0, got number -1',
      'pool.account: malformed address "0xnope": expected 0x followed by 40 hex digits',
      'pool.collateral[0].chain: unknown chain "optimism" (known: ethereum, arbitrum, base)',
      'venues[0].caps.maxShareBps: a cap cannot be negative: use 0 to forbid the venue or remove the cap',
      'venues[1].chain: unknown chain "arbitrun" (known: ethereum, arbitrum, base)',
      'venues[2].id: duplicate venue id "lido" (also venues[0]): venue ids must be unique',
      'venue: unknown key "venue": did you mean "venues"?',
    ])
  })

  it('cross-field problems alone (base schema passes) are not reported twice', () => {
    const input = base()
    input.venues[1].chain = 'arbitrun'
    const result = configSchema.safeParse(input)
    expect(result.success).toBe(false) // the schema's own superRefine found it too
    expect(problems(input)).toEqual(['venues[1].chain: unknown chain "arbitrun" (known: ethereum, arbitrum, base)'])
  })

  it('no unknown-chain noise when the chains themselves are missing', () => {
    const input = base()
    delete input.chains
    expect(problems(input)).toEqual(['chains: missing: add "chains": [{ "name": "ethereum", "chainId": 1, "rpc": [{ "url": "https://…" }] }]'])
  })

  it('formatConfigProblems formats a ZodError of the schema', () => {
    const input = base()
    input.venues[0].rateMethod = 'rate'
    const result = configSchema.safeParse(input)
    expect(result.success).toBe(false)
    const lines = formatConfigProblems(result.error!, input)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^venues\[0\]\.rateMethod: /)
    expect(configProblems(input)).toEqual(['venues[0].rateMethod: expected one of "stEthPerToken", "getExchangeRate", got the string "rate"'])
  })
})

describe('invalid JSON reports file, line and column', () => {
  const cases: [string, string, string][] = [
    ['missing comma', '{\n  "profile": "x"\n  "chains": []\n}', 'bad.json:3:3: invalid JSON: expected \',\' or \'}\' after a property value, got \'"\' (a missing comma?)'],
    ['trailing comma', '{\n  "chains": [1, 2,],\n}', "bad.json:2:19: invalid JSON: expected a value, got ']' (a trailing comma before it?)"],
    ['missing value', '{\n  "profile": \n}', "bad.json:3:1: invalid JSON: a value is missing after ':' (got '}')"],
    ['unterminated', '{\n  "profile": "x', 'bad.json:2:14: invalid JSON: unexpected end of file: a string is not closed with a double quote'],
    ['single quotes', "{ 'a': 1 }", "bad.json:1:3: invalid JSON: expected a double-quoted property name, got '''"],
  ]
  for (const [name, text, line] of cases) {
    it(name, () => {
      let err: unknown
      try {
        parseConfigText(text, 'bad.json')
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(ConfigError)
      expect((err as ConfigError).problems).toEqual([line])
    })
  }

  it('a byte-order mark is accepted', () => {
    expect(parseConfigText('\uFEFF' + JSON.stringify(base()))).toEqual(parseConfig(base()))
  })
})

describe('which file is loaded', () => {
  it('option, then POOLWARDEN_CONFIG, then the devnet profile', () => {
    expect(resolveConfigPath({ path: 'a.json', cwd: '/x', env: { POOLWARDEN_CONFIG: 'b.json' } })).toEqual({ path: '/x/a.json', from: 'option' })
    expect(resolveConfigPath({ cwd: '/x', env: { POOLWARDEN_CONFIG: 'b.json' } })).toEqual({ path: '/x/b.json', from: 'env' })
    expect(resolveConfigPath({ cwd: '/x', env: {} })).toEqual({ path: '/x/.devnet/config.json', from: 'devnet' })
  })
})

describe('closest', () => {
  it('suggests only near keys', () => {
    expect(closest('venue', ['venues', 'chains'])).toBe('venues')
    expect(closest('Chains', ['venues', 'chains'])).toBe('chains')
    expect(closest('telegarm', ['telegram', 'governance'])).toBe('telegram')
    expect(closest('xyz', ['venues', 'chains'])).toBeUndefined()
  })
})
