import { beforeAll, describe, expect, it } from 'vitest'
import { parseAbi, parseEther, type Abi, type AbiParameter, type Address } from 'viem'
import { configSchema } from '../config/schema'
import {
  aaveDataProviderAbi,
  aavePoolAbi,
  aggregatorV3Abi,
  erc20Abi,
  erc4626Abi,
  MULTICALL3_ADDRESS,
  rEthAbi,
  wstEthAbi,
} from '../venues/abis'
import { useDevnet, type DevnetChain } from '../test/devnet'
import { poolShareAbi, simAaveMarketAbi, simATokenAbi, simControllerAbi, simLstAbi, simPriceFeedAbi, simVaultAbi } from './abis'
import { compileContracts, type Artifacts } from './compile'
import type { SimVenue } from './deploy'
import { bpsToRay, bpsToWad, shockWindows } from './market'
import { createSimulator } from './simulator'

const devnet = useDevnet()
const WAD = 10n ** 18n
const RAY = 10n ** 27n

type Of<K extends SimVenue['kind']> = Extract<SimVenue, { kind: K }>
const lst = (id: string) => devnet.venue(id) as Of<'lst'> & { chain: string }
const vault = (id: string) => devnet.venue(id) as Of<'erc4626'> & { chain: string }
const aave = (id: string) => devnet.venue(id) as Of<'aave-v3'> & { chain: string }
const pool = devnet.deployment.accounts.pool

/** Canonical signature of an ABI item: name, input and output types (tuples expanded), mutability. */
function canon(item: Abi[number]): string {
  const t = (p: AbiParameter): string => {
    const c = (p as { components?: readonly AbiParameter[] }).components
    return c ? `(${c.map(t).join(',')})${p.type.slice('tuple'.length)}` : p.type
  }
  if (item.type === 'function') return `function ${item.name}(${item.inputs.map(t)})(${item.outputs.map(t)}) ${item.stateMutability}`
  if (item.type === 'event') return `event ${item.name}(${item.inputs.map((i) => `${t(i)}${i.indexed ? ' indexed' : ''}`)})`
  if (item.type === 'error') return `error ${item.name}(${item.inputs.map(t)})`
  return item.type
}

function missing(artifacts: Artifacts, contract: string, abi: Abi): string[] {
  const have = new Set((artifacts[contract]?.abi ?? []).map(canon))
  return abi.map(canon).filter((s) => !have.has(s))
}

/** The canonical Multicall3 interface (mainnet 0xcA11…CA11). */
const CANONICAL_MULTICALL3 = parseAbi([
  'struct Call { address target; bytes callData; }',
  'struct Call3 { address target; bool allowFailure; bytes callData; }',
  'struct Call3Value { address target; bool allowFailure; uint256 value; bytes callData; }',
  'struct Result { bool success; bytes returnData; }',
  'function aggregate(Call[] calls) payable returns (uint256 blockNumber, bytes[] returnData)',
  'function aggregate3(Call3[] calls) payable returns (Result[] returnData)',
  'function aggregate3Value(Call3Value[] calls) payable returns (Result[] returnData)',
  'function blockAndAggregate(Call[] calls) payable returns (uint256 blockNumber, bytes32 blockHash, Result[] returnData)',
  'function getBasefee() view returns (uint256 basefee)',
  'function getBlockHash(uint256 blockNumber) view returns (bytes32 blockHash)',
  'function getBlockNumber() view returns (uint256 blockNumber)',
  'function getChainId() view returns (uint256 chainid)',
  'function getCurrentBlockCoinbase() view returns (address coinbase)',
  'function getCurrentBlockDifficulty() view returns (uint256 difficulty)',
  'function getCurrentBlockGasLimit() view returns (uint256 gaslimit)',
  'function getCurrentBlockTimestamp() view returns (uint256 timestamp)',
  'function getEthBalance(address addr) view returns (uint256 balance)',
  'function getLastBlockHash() view returns (bytes32 blockHash)',
  'function tryAggregate(bool requireSuccess, Call[] calls) payable returns (Result[] returnData)',
  'function tryBlockAndAggregate(bool requireSuccess, Call[] calls) payable returns (uint256 blockNumber, bytes32 blockHash, Result[] returnData)',
])

describe('contracts expose the venue ABIs exactly', () => {
  let artifacts: Artifacts
  beforeAll(async () => {
    artifacts = await compileContracts()
  })

  it.each([
    ['SimWstETH', [...erc20Abi, ...wstEthAbi, ...simLstAbi]],
    ['SimRETH', [...erc20Abi, ...rEthAbi, ...simLstAbi]],
    ['SimVault', [...erc4626Abi, ...erc20Abi, ...simVaultAbi]],
    ['SimAaveMarket', [...aaveDataProviderAbi, ...aavePoolAbi, ...simAaveMarketAbi]],
    ['SimAToken', [...erc20Abi, ...simATokenAbi]],
    ['SimPriceFeed', [...aggregatorV3Abi, ...simPriceFeedAbi]],
    ['SimController', simControllerAbi],
    ['PoolShare', [...erc20Abi, ...poolShareAbi]],
    ['Multicall3', CANONICAL_MULTICALL3],
  ] as Array<[string, Abi]>)('%s', (name, abi) => {
    expect(missing(artifacts, name, abi)).toEqual([])
  })
})

describe('deployment', () => {
  it('gives a valid config with ≥ 4 venues of all three kinds per chain', () => {
    const { config, deployment } = devnet
    expect(() => configSchema.parse(config)).not.toThrow()
    expect(config.chains.map((c) => [c.name, c.chainId])).toEqual([
      ['ethereum', 31337],
      ['arbitrum', 31338],
      ['base', 31339],
    ])
    expect(config.pool.account).toBe(pool)
    for (const c of config.chains) {
      const vs = config.venues.filter((v) => v.chain === c.name)
      expect(vs.length).toBeGreaterThanOrEqual(4)
      expect(new Set(vs.map((v) => v.kind))).toEqual(new Set(['lst', 'erc4626', 'aave-v3']))
      expect(config.pool.collateral.find((x) => x.chain === c.name)?.token).toBe(deployment.chains[c.name]!.collateral)
    }
    // Risk facts differ between venues.
    const facts = new Set(config.venues.filter((v) => v.chain === 'ethereum').map((v) => JSON.stringify(v.risk)))
    expect(facts.size).toBe(5)
  })

  it("one key, one job: the governor's voting key (#10) is funded on every chain, holds the pool's delegated DAO votes and is the config's voter", async () => {
    const voter = devnet.accounts.voter.address
    expect(voter).not.toBe(pool)
    expect(devnet.deployment.accounts.voter).toBe(voter)
    expect(devnet.config.governance.voter).toEqual({ keyEnv: 'POOLWARDEN_VOTER_KEY', account: voter, roleKey: 'poolwarden-governor' })
    expect(devnet.config.execution.keyEnv).toBe('POOLWARDEN_EXECUTOR_KEY')
    for (const c of devnet.allChains()) expect([c.name, await c.public.getBalance({ address: voter })]).toEqual([c.name, parseEther('100')])
    const dao = devnet.deployment.chains.ethereum!.dao!
    // The shared test devnet runs custody "eoa": the pool's account delegates its DAO votes to the voting key
    // (custody "safe": the Safe holds and is delegated them, governance/onchain/governorRole.devnet.test.ts).
    expect(dao.delegates).toEqual({ [pool]: voter })
    expect(dao.poolVoter).toBe(voter)
    const eth = devnet.chain('ethereum').public
    const votesAbi = parseAbi(['function delegates(address) view returns (address)', 'function getVotes(address) view returns (uint256)'])
    expect(await eth.readContract({ address: dao.token, abi: votesAbi, functionName: 'delegates', args: [pool] })).toBe(voter)
    expect(await eth.readContract({ address: dao.token, abi: votesAbi, functionName: 'getVotes', args: [voter] })).toBe(BigInt(dao.holders[pool]!))
    expect(await eth.readContract({ address: dao.token, abi: votesAbi, functionName: 'getVotes', args: [pool] })).toBe(0n)
  })

  it('Multicall3 sits at the canonical address and viem multicall works through it', async () => {
    const c = devnet.chain('ethereum')
    expect(await c.public.getCode({ address: MULTICALL3_ADDRESS })).toMatch(/^0x[0-9a-f]{100,}/)
    const [bn, ts, bal] = await c.public.multicall({
      allowFailure: false,
      contracts: [
        { address: MULTICALL3_ADDRESS, abi: CANONICAL_MULTICALL3, functionName: 'getBlockNumber' },
        { address: MULTICALL3_ADDRESS, abi: CANONICAL_MULTICALL3, functionName: 'getCurrentBlockTimestamp' },
        { address: MULTICALL3_ADDRESS, abi: CANONICAL_MULTICALL3, functionName: 'getEthBalance', args: [pool] },
      ],
    })
    const block = await c.public.getBlock()
    expect(bn).toBe(block.number)
    expect(ts).toBe(block.timestamp)
    expect(bal).toBeGreaterThan(parseEther('9000'))
    // A failing call is reported, not thrown, with allowFailure.
    const r = await c.public.multicall({ contracts: [{ address: pool, abi: erc20Abi, functionName: 'totalSupply' }] })
    expect(r[0]!.status).toBe('failure')
  })

  for (const chain of ['ethereum', 'arbitrum', 'base']) {
    it(`${chain}: venues answer the abis.ts reads with sane values`, async () => {
      const c: DevnetChain = devnet.chain(chain)
      const dep = devnet.deployment.chains[chain]!
      const positions = dep.poolPositions
      const read = c.public.readContract
      for (const v of dep.venues) {
        if (v.kind === 'lst') {
          const rateAt = v.rateSource ?? v.token
          const rate = v.rateMethod === 'stEthPerToken' ? await read({ address: rateAt, abi: wstEthAbi, functionName: 'stEthPerToken' }) : await read({ address: rateAt, abi: rEthAbi, functionName: 'getExchangeRate' })
          expect(rate).toBeGreaterThan(parseEther('1.1'))
          expect(rate).toBeLessThan(parseEther('1.25'))
          expect(await read({ address: v.token, abi: erc20Abi, functionName: 'symbol' })).toBe(v.symbol)
          expect(await read({ address: v.token, abi: erc20Abi, functionName: 'decimals' })).toBe(18)
          expect((await read({ address: v.token, abi: erc20Abi, functionName: 'balanceOf', args: [pool] })).toString()).toBe(positions[v.id])
          const [round, answer, , updatedAt] = await read({ address: v.feed, abi: aggregatorV3Abi, functionName: 'latestRoundData' })
          expect(await read({ address: v.feed, abi: aggregatorV3Abi, functionName: 'decimals' })).toBe(18)
          expect(answer).toBe(WAD)
          expect(round).toBeGreaterThan(0n)
          expect(updatedAt).toBeGreaterThan(0n)
        } else if (v.kind === 'erc4626') {
          expect(await read({ address: v.vault, abi: erc4626Abi, functionName: 'asset' })).toBe(dep.collateral)
          const shares = await read({ address: v.vault, abi: erc4626Abi, functionName: 'balanceOf', args: [pool] })
          const assets = await read({ address: v.vault, abi: erc4626Abi, functionName: 'convertToAssets', args: [shares] })
          expect(assets - BigInt(positions[v.id]!)).toBeGreaterThanOrEqual(-1n)
          expect(await read({ address: v.vault, abi: erc4626Abi, functionName: 'convertToAssets', args: [WAD] })).toBeGreaterThanOrEqual(WAD - 1n)
          expect(await read({ address: v.vault, abi: erc4626Abi, functionName: 'totalAssets' })).toBeGreaterThan(assets)
          // Enough idle liquidity for the pool's position in a calm market.
          expect(await read({ address: v.vault, abi: erc4626Abi, functionName: 'maxWithdraw', args: [pool] })).toBe(assets)
          expect(await read({ address: v.vault, abi: erc4626Abi, functionName: 'paused' })).toBe(false)
        } else {
          const rd = await read({ address: v.market, abi: aaveDataProviderAbi, functionName: 'getReserveData', args: [v.asset] })
          const [unbacked, , totalAToken, stableDebt, variableDebt, liquidityRate, borrowRate, , , liquidityIndex, borrowIndex, updated] = rd
          expect(unbacked).toBe(0n)
          expect(stableDebt).toBe(0n)
          expect(variableDebt).toBe((totalAToken * BigInt(v.base.utilisationBps)) / 10_000n)
          expect(liquidityRate).toBe(bpsToRay(v.base.aprBps))
          expect(borrowRate).toBe(bpsToRay(v.base.borrowAprBps))
          expect(liquidityIndex).toBeGreaterThanOrEqual(RAY)
          expect(borrowIndex).toBeGreaterThanOrEqual(RAY)
          expect(updated).toBeGreaterThan(0)
          expect(await read({ address: v.market, abi: aaveDataProviderAbi, functionName: 'getPaused', args: [v.asset] })).toBe(false)
          expect(await read({ address: v.market, abi: aaveDataProviderAbi, functionName: 'getReserveTokensAddresses', args: [v.asset] })).toEqual([v.aToken, expect.any(String), expect.any(String)])
          const bal = await read({ address: v.aToken, abi: erc20Abi, functionName: 'balanceOf', args: [pool] })
          expect(bal - BigInt(positions[v.id]!)).toBeGreaterThanOrEqual(-1n)
          expect(totalAToken - variableDebt).toBeGreaterThan(bal)
          // Unknown reserve: zeros, like Aave's data provider.
          const none = await read({ address: v.market, abi: aaveDataProviderAbi, functionName: 'getReserveData', args: [pool] })
          expect(none.every((x) => x === 0n || x === 0)).toBe(true)
        }
      }
      // Pool shares: timestamp clock, delegators self-delegated.
      expect(await read({ address: dep.poolShare, abi: poolShareAbi, functionName: 'CLOCK_MODE' })).toBe('mode=timestamp')
      for (const [holder, amount] of Object.entries(dep.shareHolders)) {
        expect((await read({ address: dep.poolShare, abi: poolShareAbi, functionName: 'getVotes', args: [holder as Address] })).toString()).toBe(amount)
      }
    })
  }

  it('yield accrues every block on all three kinds, and is backed', async () => {
    const c = devnet.chain('ethereum')
    const read = c.public.readContract
    const w = lst('ethereum-wsteth')
    const v = vault('ethereum-vault-boost')
    const a = aave('ethereum-aave')
    const snap = async () => ({
      rate: await read({ address: w.token, abi: wstEthAbi, functionName: 'stEthPerToken' }),
      share: await read({ address: v.vault, abi: erc4626Abi, functionName: 'convertToAssets', args: [WAD] }),
      aBal: await read({ address: a.aToken, abi: erc20Abi, functionName: 'balanceOf', args: [pool] }),
      ts: (await c.public.getBlock()).timestamp,
    })
    const before = await snap()
    await devnet.mine('ethereum', 10)
    const after = await snap()
    const dt = Number(after.ts - before.ts)
    expect(dt).toBe(10)
    const apr = (x: bigint, y: bigint) => (Number(y - x) / Number(x)) * (365 * 86_400) / dt
    expect(apr(before.rate, after.rate)).toBeCloseTo(w.base.aprBps / 10_000, 4)
    expect(apr(before.share, after.share)).toBeCloseTo(v.base.aprBps / 10_000, 3)
    expect(apr(before.aBal, after.aBal)).toBeCloseTo(a.base.aprBps / 10_000, 4)

    // The pool can take its whole aave position and its vault position out, with the yield.
    const wallet = c.wallet(devnet.accounts.pool)
    const pre = await read({ address: w.token, abi: erc20Abi, functionName: 'balanceOf', args: [pool] })
    await c.public.waitForTransactionReceipt({ hash: await wallet.writeContract({ address: a.market, abi: aavePoolAbi, functionName: 'withdraw', args: [a.asset, 2n ** 256n - 1n, pool] }) })
    const max = await read({ address: v.vault, abi: erc4626Abi, functionName: 'maxWithdraw', args: [pool] })
    await c.public.waitForTransactionReceipt({ hash: await wallet.writeContract({ address: v.vault, abi: erc4626Abi, functionName: 'withdraw', args: [max, pool, pool] }) })
    const post = await read({ address: w.token, abi: erc20Abi, functionName: 'balanceOf', args: [pool] })
    const dep = devnet.deployment.chains.ethereum!
    expect(post - pre).toBeGreaterThan(BigInt(dep.poolPositions[a.id]!) + BigInt(dep.poolPositions[v.id]!))
    expect(await read({ address: a.aToken, abi: erc20Abi, functionName: 'balanceOf', args: [pool] })).toBe(0n)
  })

  it('snapshot/revert isolate tests: the previous test’s withdrawals are gone', async () => {
    const a = aave('ethereum-aave')
    const bal = await devnet.chain('ethereum').public.readContract({ address: a.aToken, abi: erc20Abi, functionName: 'balanceOf', args: [pool] })
    expect(bal).toBeGreaterThan(0n)
  })
})

describe('simulator', () => {
  it('stepping through the stress scenario changes exactly the shocked reads, which then recover', async () => {
    const sim = await devnet.simulator('stress')
    const windows = shockWindows(sim.scenario)
    const read = (chain: string) => devnet.chain(chain).public.readContract
    let index = 0
    const stepTo = async (target: number) => {
      for (; index <= target; index++) await sim.step(index)
    }

    // depeg: ethereum-wsteth's feed −3 %, back after.
    const depeg = windows.find((w) => w.kind === 'depeg')!
    const feedAnswer = async () => (await read('ethereum')({ address: lst(depeg.venue).feed, abi: aggregatorV3Abi, functionName: 'latestRoundData' }))[1]
    await stepTo(depeg.start - 1)
    const peg0 = await feedAnswer()
    expect(Number(peg0) / 1e18).toBeCloseTo(1, 2)
    await stepTo(depeg.start)
    expect(Number(await feedAnswer()) / 1e18).toBeCloseTo(0.97, 2)
    await stepTo(depeg.end - 1)
    expect(Number(await feedAnswer()) / 1e18).toBeLessThan(0.975)
    await stepTo(depeg.end)
    expect(Math.abs(Number(await feedAnswer()) / 1e18 - 1)).toBeLessThan(0.001)

    // pause: arbitrum-aave paused; supply reverts; unpaused after.
    const pause = windows.find((w) => w.kind === 'pause')!
    const pm = aave(pause.venue)
    const paused = () => read('arbitrum')({ address: pm.market, abi: aaveDataProviderAbi, functionName: 'getPaused', args: [pm.asset] })
    await stepTo(pause.start - 1)
    expect(await paused()).toBe(false)
    await stepTo(pause.start)
    expect(await paused()).toBe(true)
    await expect(
      devnet.chain('arbitrum').public.simulateContract({ account: devnet.accounts.pool, address: pm.market, abi: aavePoolAbi, functionName: 'withdraw', args: [pm.asset, 1n, pool] }),
    ).rejects.toThrow()
    await stepTo(pause.end)
    expect(await paused()).toBe(false)

    // apyCollapse: base-vault-boost's share price stops growing, then grows again.
    const collapse = windows.find((w) => w.kind === 'apyCollapse')!
    const bv = vault(collapse.venue)
    const sharePrice = async () => read('base')({ address: bv.vault, abi: erc4626Abi, functionName: 'convertToAssets', args: [WAD] })
    const aprOver = async (n: number) => {
      const x = await sharePrice()
      await stepTo(index + n - 1)
      const y = await sharePrice()
      return (Number(y - x) / Number(x)) * (365 * 86_400) / n
    }
    await stepTo(collapse.start - 6)
    expect(await aprOver(5)).toBeGreaterThan(0.06)
    await stepTo(collapse.start)
    expect(await aprOver(5)).toBeLessThan(0.001)
    await stepTo(collapse.end)
    expect(await aprOver(5)).toBeGreaterThan(0.06)

    // utilisationSpike on aave: the pool's supply is no longer withdrawable.
    const spikes = windows.filter((w) => w.kind === 'utilisationSpike')
    const ua = aave(spikes.find((w) => w.venue.endsWith('-aave'))!.venue)
    const uaw = spikes.find((w) => w.venue === ua.id)!
    const liquidity = async () => {
      const rd = await read(ua.chain)({ address: ua.market, abi: aaveDataProviderAbi, functionName: 'getReserveData', args: [ua.asset] })
      const bal = await read(ua.chain)({ address: ua.aToken, abi: erc20Abi, functionName: 'balanceOf', args: [pool] })
      return { available: rd[2] - rd[4], bal, util: Number((rd[4] * 10_000n) / rd[2]) }
    }
    await stepTo(uaw.start - 1)
    let l = await liquidity()
    expect(l.available).toBeGreaterThan(l.bal)
    await stepTo(uaw.start)
    l = await liquidity()
    expect(l.util).toBeGreaterThanOrEqual(9_899)
    expect(l.available).toBeLessThan(l.bal)
    await stepTo(uaw.end)
    l = await liquidity()
    expect(l.available).toBeGreaterThan(l.bal)

    // utilisationSpike on a vault: maxWithdraw(pool) falls below the position.
    const vw = spikes.find((w) => w.venue.includes('-vault-'))!
    const sv = vault(vw.venue)
    const cover = async () => {
      const r = read(sv.chain)
      const shares = await r({ address: sv.vault, abi: erc4626Abi, functionName: 'balanceOf', args: [pool] })
      const position = await r({ address: sv.vault, abi: erc4626Abi, functionName: 'convertToAssets', args: [shares] })
      const max = await r({ address: sv.vault, abi: erc4626Abi, functionName: 'maxWithdraw', args: [pool] })
      return Number((max * 1000n) / position) / 1000
    }
    await stepTo(vw.start - 1)
    expect(await cover()).toBe(1)
    await stepTo(vw.start)
    expect(await cover()).toBeLessThan(0.05)
    await stepTo(vw.end)
    expect(await cover()).toBe(1)

    // slash: base-reth's exchange rate is cut by 0.5 % once.
    const slash = windows.find((w) => w.kind === 'slash')!
    const sr = lst(slash.venue)
    const rate = () => read(sr.chain)({ address: sr.token, abi: rEthAbi, functionName: 'getExchangeRate' })
    await stepTo(slash.start - 1)
    const r0 = await rate()
    await stepTo(slash.start)
    const r1 = await rate()
    expect(Number(r1) / Number(r0)).toBeCloseTo(0.995, 5)
    await stepTo(slash.end)
    const r2 = await rate()
    expect(r2).toBeGreaterThan(r1)
    expect(r2).toBeLessThan(r0)
  })

  it('refuses an index twice and applies a skipped slash once', async () => {
    const sim = await devnet.simulator('stress')
    await sim.step(0)
    await expect(sim.step(0)).rejects.toThrow(/already applied/)
    const slash = shockWindows(sim.scenario).find((w) => w.kind === 'slash')!
    const sr = lst(slash.venue)
    const rate = () => devnet.chain(sr.chain).public.readContract({ address: sr.token, abi: rEthAbi, functionName: 'getExchangeRate' })
    const r0 = await rate()
    await sim.step(slash.end + 5) // jumps over the slash
    expect(Number(await rate()) / Number(r0)).toBeCloseTo(0.995, 4)
    await sim.step(slash.end + 6)
    expect(Number(await rate()) / Number(r0)).toBeGreaterThan(0.995)
    expect(await sim.nextIndex(sr.chain)).toBe(slash.end + 7)
  })

  it('run(): each update lands in the block of its index, and a new run resumes', async () => {
    const c = devnet.chain('base')
    const dep = devnet.deployment.chains.base!
    const sim = createSimulator({ deployment: devnet.deployment, scenario: (await devnet.simulator('calm')).scenario, chains: [{ name: 'base', url: c.url }], pollMs: 20 })
    const updates = async (fromBlock: bigint) => {
      const logs = await c.public.getContractEvents({ address: dep.controller, abi: simControllerAbi, eventName: 'Updated', fromBlock })
      return logs.map((l) => ({ block: Number(l.blockNumber), index: Number(l.args.index) }))
    }
    const runFor = async (ms: number) => {
      const ac = new AbortController()
      const done = sim.run(ac.signal)
      await new Promise((r) => setTimeout(r, ms))
      ac.abort()
      await done
    }

    const start = await c.public.getBlockNumber()
    await runFor(600) // automine: each update mines the next block
    const auto = await updates(start + 1n)
    expect(auto.length).toBeGreaterThan(3)
    for (const u of auto) expect(u.index).toBe(u.block - dep.originBlock)

    // Resumes: a second run continues with the next indexes (interval mining: anvil.devnet.test.ts).
    const from = await c.public.getBlockNumber()
    await runFor(300)
    const again = await updates(from + 1n)
    expect(again.length).toBeGreaterThan(1)
    for (const u of again) expect(u.index).toBe(u.block - dep.originBlock)
  })

  it('params on chain match the model (a vault and an aave market after a step)', async () => {
    const sim = await devnet.simulator('calm')
    await sim.step(7)
    const { venueParamsAt } = await import('./market')
    const v = vault('arbitrum-vault-core')
    const pv = venueParamsAt(sim.scenario, v, 7)
    const r = devnet.chain('arbitrum').public.readContract
    expect(await r({ address: v.vault, abi: simVaultAbi, functionName: 'aprWad' })).toBe(bpsToWad(pv.aprBps))
    const a = aave('arbitrum-aave')
    const pa = venueParamsAt(sim.scenario, a, 7)
    const rd = await r({ address: a.market, abi: aaveDataProviderAbi, functionName: 'getReserveData', args: [a.asset] })
    expect(rd[5]).toBe(bpsToRay(pa.aprBps))
    expect(await r({ address: a.market, abi: simAaveMarketAbi, functionName: 'utilisationBps' })).toBe(BigInt(Math.round(pa.kind === 'aave-v3' ? pa.utilisationBps : -1)))
  })
})
