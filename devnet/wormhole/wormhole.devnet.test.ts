import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Wormhole, serialize, type Chain as WhChain, type Network, type UnsignedTransaction, type VAA } from '@wormhole-foundation/sdk-connect'
import { maxUint256, parseEther, type Address, type Hex } from 'viem'
import { erc4626Abi } from '../../venues/abis'
import { createWormhole } from '../../chains/wormhole'
import type { Config } from '../../config/schema'
import { useDevnet } from '../../test/devnet'
import { tokenBridgeAbi, wormholeCoreAbi, wrappedTokenAbi } from './abis'
import { startGuardian, type Guardian } from './guardian'
import { devnetGuardianAddress, toUniversal } from './vaa'

const devnet = useDevnet()
const cfg = devnet.config
const wh = cfg.wormhole!
const whOf = (chain: string) => wh.chains.find((c) => c.chain === chain)!
const pool = devnet.accounts.pool

let dir: string
let guardian: Guardian
let sdk: Wormhole<Network>
const configWith = (api: string): Config => ({ ...cfg, wormhole: { ...wh, api } })

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'poolwarden-guardian-'))
  guardian = await startGuardian({ config: cfg, dbPath: path.join(dir, 'guardian.sqlite'), port: 0, pollMs: 100 })
  sdk = createWormhole(configWith(guardian.url))
})

afterAll(async () => {
  await guardian?.stop()
  await rm(dir, { recursive: true, force: true })
})

/** Sends the SDK's unsigned transactions with viem (the devnet chain's real chain id), in order. */
async function send(chain: string, txs: AsyncGenerator<UnsignedTransaction<Network, WhChain>>): Promise<Hex[]> {
  const c = devnet.chain(chain)
  const wallet = c.wallet(pool)
  const hashes: Hex[] = []
  for await (const tx of txs) {
    const t = tx.transaction as { to: Address; data: Hex; value?: bigint }
    const hash = await wallet.sendTransaction({ to: t.to, data: t.data, value: t.value ?? 0n })
    const r = await c.public.waitForTransactionReceipt({ hash })
    expect(r.status, tx.description).toBe('success')
    hashes.push(hash)
  }
  return hashes
}

const balance = (chain: string, token: Address, who: Address = pool.address) =>
  devnet.chain(chain).public.readContract({ address: token, abi: wrappedTokenAbi, functionName: 'balanceOf', args: [who] })

/** Token bridge transfer through the SDK: returns the source tx and the message id. */
async function transfer(from: string, to: string, amount: bigint) {
  const src = sdk.getChain(whOf(from).wormholeChain as WhChain)
  const tb = await src.getTokenBridge()
  const txs = tb.transfer(Wormhole.parseAddress(src.chain, pool.address), Wormhole.chainAddress(whOf(to).wormholeChain as WhChain, pool.address), Wormhole.parseAddress(src.chain, whOf(from).lst), amount)
  const hashes = await send(from, txs)
  const txid = hashes.at(-1)!
  const [msg] = await src.parseTransaction(txid)
  expect(msg).toBeDefined()
  return { txid, msg: msg! }
}

/** Mines the source chain's finality depth and lets the guardian sign. */
async function finalise(chain: string) {
  await devnet.mine(chain, whOf(chain).finality ?? 0)
  await guardian.sync()
}

async function redeem(chain: string, vaa: VAA<'TokenBridge:Transfer'>) {
  const dst = sdk.getChain(whOf(chain).wormholeChain as WhChain)
  const tb = await dst.getTokenBridge()
  return send(chain, tb.redeem(Wormhole.parseAddress(dst.chain, pool.address), vaa))
}

describe('devnet Wormhole deployment', () => {
  it('every chain has a core bridge with the devnet guardian set and a token bridge registered with every other chain', async () => {
    expect(wh.network).toBe('Devnet')
    expect(wh.lstHomeChain).toBe('ethereum')
    for (const c of wh.chains) {
      const read = devnet.chain(c.chain).public.readContract
      expect(await read({ address: c.coreBridge, abi: wormholeCoreAbi, functionName: 'chainId' })).toBe(c.wormholeChainId)
      expect(await read({ address: c.coreBridge, abi: wormholeCoreAbi, functionName: 'evmChainId' })).toBe(BigInt(devnet.chain(c.chain).chainId))
      const set = await read({ address: c.coreBridge, abi: wormholeCoreAbi, functionName: 'getGuardianSet', args: [0] })
      expect(set.keys).toEqual([devnetGuardianAddress()])
      expect(await read({ address: c.tokenBridge, abi: tokenBridgeAbi, functionName: 'wormhole' })).toBe(c.coreBridge)
      expect(await read({ address: c.tokenBridge, abi: tokenBridgeAbi, functionName: 'chainId' })).toBe(c.wormholeChainId)
      for (const other of wh.chains) {
        const registered = await read({ address: c.tokenBridge, abi: tokenBridgeAbi, functionName: 'bridgeContracts', args: [other.wormholeChainId] })
        expect(registered).toBe(other === c ? `0x${'0'.repeat(64)}` : toUniversal(other.tokenBridge))
      }
    }
  })

  it('the LST on the other chains is its Wormhole-wrapped version, with the home token’s metadata', async () => {
    const home = whOf('ethereum')
    const homeRead = devnet.chain('ethereum').public.readContract
    const [name, symbol, decimals] = await Promise.all(
      (['name', 'symbol', 'decimals'] as const).map((f) => homeRead({ address: home.lst, abi: wrappedTokenAbi, functionName: f })),
    )
    for (const c of wh.chains.filter((x) => x.chain !== 'ethereum')) {
      const read = devnet.chain(c.chain).public.readContract
      expect(await read({ address: c.tokenBridge, abi: tokenBridgeAbi, functionName: 'isWrappedAsset', args: [c.lst] })).toBe(true)
      expect(await read({ address: c.tokenBridge, abi: tokenBridgeAbi, functionName: 'wrappedAsset', args: [home.wormholeChainId, toUniversal(home.lst)] })).toBe(c.lst)
      expect(await read({ address: c.lst, abi: wrappedTokenAbi, functionName: 'name' })).toBe(name)
      expect(await read({ address: c.lst, abi: wrappedTokenAbi, functionName: 'symbol' })).toBe(symbol)
      expect(await read({ address: c.lst, abi: wrappedTokenAbi, functionName: 'decimals' })).toBe(decimals)
      expect(await read({ address: c.lst, abi: wrappedTokenAbi, functionName: 'chainId' })).toBe(home.wormholeChainId)
      expect(await read({ address: c.lst, abi: wrappedTokenAbi, functionName: 'nativeContract' })).toBe(toUniversal(home.lst))
      // The SDK sees the same.
      const tb = await sdk.getChain(c.wormholeChain as WhChain).getTokenBridge()
      const orig = await tb.getOriginalAsset(Wormhole.parseAddress(c.wormholeChain as WhChain, c.lst))
      expect(orig.chain).toBe('Ethereum')
      expect(orig.address.toString().toLowerCase()).toBe(toUniversal(home.lst))
    }
  })
})

describe('the wrapped LST is the collateral off its home chain', () => {
  it('pool collateral, vaults and the lst venue of arbitrum and base are the wrapped wstETH; its rate comes from the chain’s SimWstETH', () => {
    for (const c of wh.chains) {
      const dep = devnet.deployment.chains[c.chain]!
      expect(cfg.pool.collateral.find((x) => x.chain === c.chain)?.token).toBe(c.lst)
      expect(dep.collateral).toBe(c.lst)
      const idle = cfg.venues.find((v) => v.id === `${c.chain}-wsteth`)
      expect(idle?.kind).toBe('lst')
      if (idle?.kind !== 'lst') continue
      expect(idle.address).toBe(c.lst)
      if (c.chain === wh.lstHomeChain) expect(idle.rateSource).toBeUndefined()
      else expect(idle.rateSource).toBeDefined()
      for (const v of dep.venues) if (v.kind === 'erc4626' || v.kind === 'aave-v3') expect(v.asset).toBe(c.lst)
    }
  })

  it('wstETH bridged to arbitrum goes into an arbitrum vault, which pays its yield in wrapped wstETH', async () => {
    const amount = parseEther('20')
    const { msg } = await transfer('ethereum', 'arbitrum', amount)
    await finalise('ethereum')
    await redeem('arbitrum', (await sdk.getVaa(msg, 'TokenBridge:Transfer', 10_000))!)
    const vault = devnet.deployment.chains.arbitrum!.venues.find((v) => v.id === 'arbitrum-vault-core')!
    if (vault.kind !== 'erc4626') throw new Error('arbitrum-vault-core is not a vault')
    const c = devnet.chain('arbitrum')
    const wallet = c.wallet(pool)
    const wait = async (hash: Hex) => expect((await c.public.waitForTransactionReceipt({ hash })).status).toBe('success')
    await wait(await wallet.writeContract({ address: whOf('arbitrum').lst, abi: wrappedTokenAbi, functionName: 'approve', args: [vault.vault, maxUint256] }))
    const shares0 = await c.public.readContract({ address: vault.vault, abi: erc4626Abi, functionName: 'balanceOf', args: [pool.address] })
    await wait(await wallet.writeContract({ address: vault.vault, abi: erc4626Abi, functionName: 'deposit', args: [amount, pool.address] }))
    const shares = (await c.public.readContract({ address: vault.vault, abi: erc4626Abi, functionName: 'balanceOf', args: [pool.address] })) - shares0
    const held0 = await balance('arbitrum', whOf('arbitrum').lst, vault.vault)
    await devnet.mine('arbitrum', 100)
    // The shares are worth more than was deposited, and withdrawing that pays out real wrapped wstETH (the reserve paid the yield).
    const assets = await c.public.readContract({ address: vault.vault, abi: erc4626Abi, functionName: 'convertToAssets', args: [shares] })
    expect(assets).toBeGreaterThan(amount)
    const before = await balance('arbitrum', whOf('arbitrum').lst)
    await wait(await wallet.writeContract({ address: vault.vault, abi: erc4626Abi, functionName: 'withdraw', args: [assets, pool.address, pool.address] }))
    expect((await balance('arbitrum', whOf('arbitrum').lst)) - before).toBe(assets)
    expect(held0).toBeGreaterThan(0n)
  })
})

describe('token bridge transfer through the SDK and the local guardian', () => {
  it('ethereum → arbitrum: lock, VAA after finality over HTTP, redeem mints the wrapped LST; and back, which unlocks', async () => {
    const amount = parseEther('12.5')
    const home0 = await balance('ethereum', whOf('ethereum').lst)
    const wrapped0 = await balance('arbitrum', whOf('arbitrum').lst)

    const { msg } = await transfer('ethereum', 'arbitrum', amount)
    expect(await balance('ethereum', whOf('ethereum').lst)).toBe(home0 - amount)
    // Not final yet: the guardian has not signed, the API says 404 and the SDK gets null.
    await guardian.sync()
    expect(await sdk.getVaaBytes(msg, 1)).toBeNull()

    await finalise('ethereum')
    const vaa = await sdk.getVaa(msg, 'TokenBridge:Transfer', 10_000)
    expect(vaa).not.toBeNull()
    expect(vaa!.payload.to.chain).toBe('Arbitrum')
    expect(vaa!.payload.token.amount).toBe(amount / 10n ** 10n) // 8 decimals on the wire

    const dst = await sdk.getChain('Arbitrum').getTokenBridge()
    expect(await dst.isTransferCompleted(vaa!)).toBe(false)
    await redeem('arbitrum', vaa!)
    expect(await dst.isTransferCompleted(vaa!)).toBe(true)
    expect(await balance('arbitrum', whOf('arbitrum').lst)).toBe(wrapped0 + amount)

    // A second redeem of the same VAA is refused by the token bridge.
    const again = dst.redeem(Wormhole.parseAddress('Arbitrum', pool.address), vaa!)
    await expect(send('arbitrum', again)).rejects.toThrow()

    // Back home: burns the wrapped token, unlocks the native one.
    const back = await transfer('arbitrum', 'ethereum', amount)
    expect(await balance('arbitrum', whOf('arbitrum').lst)).toBe(wrapped0)
    await finalise('arbitrum')
    const vaa2 = await sdk.getVaa(back.msg, 'TokenBridge:Transfer', 10_000)
    await redeem('ethereum', vaa2!)
    expect(await balance('ethereum', whOf('ethereum').lst)).toBe(home0)
  })

  it('the transaction → VAA lookup (/api/v1/vaas?txHash=) finds the VAA of a source transaction', async () => {
    const { txid, msg } = await transfer('ethereum', 'base', parseEther('1'))
    await finalise('ethereum')
    const byTx = await sdk.getVaa(txid, 'TokenBridge:Transfer', 10_000)
    expect(byTx).not.toBeNull()
    expect(byTx!.sequence).toBe(msg.sequence)
    expect(byTx!.emitterChain).toBe('Ethereum')
  })

  it('a VAA signed by a key outside the guardian set is refused by the core bridge on redeem', async () => {
    const { msg } = await transfer('ethereum', 'arbitrum', parseEther('2'))
    await finalise('ethereum')
    guardian.setFault({ kind: 'bad-signature', times: 1 })
    const bad = await sdk.getVaa(msg, 'TokenBridge:Transfer', 10_000)
    const before = await balance('arbitrum', whOf('arbitrum').lst)
    const verdict = await devnet.chain('arbitrum').public.readContract({
      address: whOf('arbitrum').coreBridge,
      abi: wormholeCoreAbi,
      functionName: 'parseAndVerifyVM',
      args: [`0x${Buffer.from(serializeVaa(bad!)).toString('hex')}`],
    })
    expect(verdict[1]).toBe(false)
    expect(verdict[2]).toMatch(/signature/i)
    await expect(redeem('arbitrum', bad!)).rejects.toThrow()
    expect(await balance('arbitrum', whOf('arbitrum').lst)).toBe(before)
    // The fault was for one VAA: the genuine one redeems.
    const good = await sdk.getVaa(msg, 'TokenBridge:Transfer', 10_000)
    await redeem('arbitrum', good!)
    expect(await balance('arbitrum', whOf('arbitrum').lst)).toBe(before + parseEther('2'))
  })

  it('a validly signed VAA for another target chain is refused by the token bridge', async () => {
    const { msg } = await transfer('ethereum', 'arbitrum', parseEther('3'))
    await finalise('ethereum')
    guardian.setFault({ kind: 'wrong-target', toChain: whOf('base').wormholeChainId, times: 1 })
    const wrong = await sdk.getVaa(msg, 'TokenBridge:Transfer', 10_000)
    expect(wrong!.payload.to.chain).toBe('Base')
    // Signed by the guardian set: the core bridge accepts the signatures…
    const verdict = await devnet.chain('arbitrum').public.readContract({
      address: whOf('arbitrum').coreBridge,
      abi: wormholeCoreAbi,
      functionName: 'parseAndVerifyVM',
      args: [`0x${Buffer.from(serializeVaa(wrong!)).toString('hex')}`],
    })
    expect(verdict[1]).toBe(true)
    // …but the arbitrum token bridge refuses a transfer meant for base.
    const before = await balance('arbitrum', whOf('arbitrum').lst)
    await expect(redeem('arbitrum', wrong!)).rejects.toThrow()
    expect(await balance('arbitrum', whOf('arbitrum').lst)).toBe(before)
  })

  it('a guardian that was down (and restarted on its database) serves what it missed and what it had signed', async () => {
    const first = await transfer('ethereum', 'arbitrum', parseEther('1'))
    await finalise('ethereum')
    expect(await sdk.getVaaBytes(first.msg, 1)).not.toBeNull()

    await guardian.pause()
    // Down: the API refuses connections.
    await expect(fetch(`${guardian.url}/v1/heartbeats`)).rejects.toThrow()
    const second = await transfer('ethereum', 'arbitrum', parseEther('1'))
    await devnet.mine('ethereum', whOf('ethereum').finality ?? 0)
    await guardian.resume()
    await guardian.sync()
    expect(await sdk.getVaaBytes(second.msg, 1)).not.toBeNull()

    // A new process on the same database: same port, same bytes for the earlier VAA.
    const firstBytes = await sdk.getVaaBytes(first.msg, 1)
    const port = guardian.port
    await guardian.stop()
    guardian = await startGuardian({ config: cfg, dbPath: path.join(dir, 'guardian.sqlite'), port, pollMs: 100 })
    expect(Buffer.from((await sdk.getVaaBytes(first.msg, 1))!)).toEqual(Buffer.from(firstBytes!))
    const third = await transfer('ethereum', 'base', parseEther('1'))
    await finalise('ethereum')
    const vaa = await sdk.getVaa(third.msg, 'TokenBridge:Transfer', 10_000)
    const before = await balance('base', whOf('base').lst)
    await redeem('base', vaa!)
    expect(await balance('base', whOf('base').lst)).toBe(before + parseEther('1'))
  })
})

describe('guardian: reorgs and its devnet HTTP hooks', () => {
  it('a message whose block was reverted away is not served, and the same sequence in a new tx gets a new VAA', async () => {
    const eth = devnet.chain('ethereum')
    const id = await eth.test.snapshot()
    const first = await transfer('ethereum', 'arbitrum', parseEther('4'))
    await finalise('ethereum')
    expect(await sdk.getVaaBytes(first.msg, 1)).not.toBeNull()
    await eth.test.revert({ id })
    // The block is gone: nothing is served for that id any more.
    await guardian.sync()
    expect(await sdk.getVaaBytes(first.msg, 1)).toBeNull()
    const second = await transfer('ethereum', 'arbitrum', parseEther('5'))
    expect(second.msg.sequence).toBe(first.msg.sequence)
    await finalise('ethereum')
    const vaa = await sdk.getVaa(second.msg, 'TokenBridge:Transfer', 10_000)
    expect(vaa!.payload.token.amount).toBe(parseEther('5') / 10n ** 10n)
  })

  it('POST /devnet/fault sets a fault over HTTP (for PM2 runs); GET /devnet/status reports it and the chains', async () => {
    const res = await fetch(`${guardian.url}/devnet/fault`, { method: 'POST', body: JSON.stringify({ kind: 'bad-signature', times: 1 }) })
    expect(res.status).toBe(200)
    const status = (await (await fetch(`${guardian.url}/devnet/status`)).json()) as { fault: { kind: string }; chains: Record<string, { finality: number }> }
    expect(status.fault.kind).toBe('bad-signature')
    expect(Object.keys(status.chains).sort()).toEqual(['arbitrum', 'base', 'ethereum'])
    expect(status.chains.ethereum!.finality).toBe(whOf('ethereum').finality)
    expect((await fetch(`${guardian.url}/devnet/fault`, { method: 'POST', body: JSON.stringify({ kind: 'nonsense' }) })).status).toBe(400)
    guardian.setFault({ kind: 'none' })
    // The real API's not-found answer for an unknown VAA.
    const nf = await fetch(`${guardian.url}/v1/signed_vaa/2/${'0'.repeat(64)}/999999`)
    expect(nf.status).toBe(404)
  })
})

/** The SDK's own serialisation (what redeem sends). */
const serializeVaa = (v: VAA<'TokenBridge:Transfer'>): Uint8Array => serialize(v)
