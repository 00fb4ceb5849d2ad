import net from 'node:net'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../config/load'
import { anvilArgs, AnvilStartError, findFreePort, rpcRequest, startAnvil } from './anvil'
import { compileContracts } from './compile'
import { deployDevnet, readDeployment, writeDevnetConfig } from './deploy'
import { simControllerAbi } from './abis'
import { createSimulator } from './simulator'
import { createPublicClient, http } from 'viem'
import { loadScenario } from './scenario'

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('anvil processes', () => {
  it('starts, answers, and stops without leaving a process', async () => {
    const port = await findFreePort(19545)
    const node = await startAnvil({ port, chainId: 4242, timestampInterval: 1 })
    expect(node.url).toBe(`http://127.0.0.1:${port}/`)
    expect(Number(await rpcRequest<string>(node.url, 'eth_chainId'))).toBe(4242)
    expect(alive(node.pid)).toBe(true)
    await node.stop()
    await node.stop() // idempotent
    expect(alive(node.pid)).toBe(false)
  })

  it('refuses a port in use with a clear error', async () => {
    const port = await findFreePort(19600)
    const srv = net.createServer().listen(port, '127.0.0.1')
    await new Promise((r) => srv.once('listening', r))
    try {
      await expect(startAnvil({ port, chainId: 1 })).rejects.toThrow(AnvilStartError)
      await expect(startAnvil({ port, chainId: 1 })).rejects.toThrow(/in use/)
      expect(await findFreePort(port)).toBeGreaterThan(port)
    } finally {
      srv.close()
    }
  })

  it('builds the command line PM2 can use', () => {
    expect(anvilArgs({ port: 8545, chainId: 31337, blockTime: 1 })).toEqual([
      '--host', '127.0.0.1', '--port', '8545', '--chain-id', '31337', '--accounts', '10', '--balance', '10000', '--code-size-limit', '32768', '--block-time', '1', '--quiet',
    ])
  })
})

describe('npm start mode: a chain with 1 s interval mining', () => {
  it('deploys in automine, restores 1 s blocks, writes a config the loader accepts; the simulator updates every block', async () => {
    const port = await findFreePort(19700)
    const node = await startAnvil({ port, chainId: 31337, blockTime: 1 })
    const dir = await mkdtemp(path.join(os.tmpdir(), 'poolwarden-deploy-'))
    try {
      const artifacts = await compileContracts()
      const result = await deployDevnet({ chains: [{ name: 'ethereum', chainId: 31337, url: node.url }], artifacts, scenario: await loadScenario('calm') })
      expect(await rpcRequest(node.url, 'anvil_getAutomine')).toBe(false)
      expect(await rpcRequest(node.url, 'anvil_getIntervalMining')).toBe(1)
      const b0 = Number(await rpcRequest<string>(node.url, 'eth_blockNumber'))
      await new Promise((r) => setTimeout(r, 2_200))
      expect(Number(await rpcRequest<string>(node.url, 'eth_blockNumber'))).toBeGreaterThanOrEqual(b0 + 1)

      const { configPath, deploymentPath } = await writeDevnetConfig(result, path.join(dir, 'config.json'))
      expect(loadConfig({ path: configPath })).toEqual(result.config)
      expect(await readDeployment(deploymentPath)).toEqual(result.deployment)
      // The simulator's run loop: an update in every block, for that block's index, none reverted.
      const dep = result.deployment.chains.ethereum!
      const client = createPublicClient({ transport: http(node.url), cacheTime: 0 })
      const stress = await loadScenario('stress')
      const ethOnly = { ...stress, shocks: stress.shocks.filter((sh) => sh.venue.startsWith('ethereum-')) }
      const sim = createSimulator({ deployment: result.deployment, scenario: ethOnly, startBlock: 28, pollMs: 20 })
      const from = await client.getBlockNumber()
      const nonce0 = await client.getTransactionCount({ address: result.deployment.accounts.operator })
      const ac = new AbortController()
      const running = sim.run(ac.signal)
      await new Promise((r) => setTimeout(r, 4_500))
      ac.abort()
      await running
      const logs = await client.getContractEvents({ address: dep.controller, abi: simControllerAbi, eventName: 'Updated', fromBlock: from + 1n })
      const updates = logs.map((l) => ({ block: Number(l.blockNumber), index: Number(l.args.index) }))
      expect(updates.length).toBeGreaterThanOrEqual(3)
      for (const u of updates) expect(u.index).toBe(u.block - dep.originBlock + 28)
      expect(await client.getTransactionCount({ address: result.deployment.accounts.operator })).toBe(nonce0 + updates.length)
      // One update in each consecutive block while it ran: no block skipped, none updated twice.
      // (The head is not compared: under load a block may be mined between the abort and a read.)
      updates.forEach((u, i) => expect(u.block).toBe(updates[0]!.block + i))

      // A scenario naming venues the deployment lacks is refused.
      await expect(deployDevnet({ chains: [{ name: 'ethereum', chainId: 31337, url: node.url }], artifacts, scenario: await loadScenario('stress') })).rejects.toThrow(/unknown venue "arbitrum-aave"/)
    } finally {
      await node.stop()
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('anvil_reorg on a chain with a long history (why watch/reorg.devnet.test.ts runs on a devnet of its own)', () => {
  it('once 1000 blocks were mined (and reverted), a 3-block anvil_reorg replays its new blocks without the code anvil_setCode set; a 1-block reorg, and any reorg on a fresh chain, keep it', async () => {
    const port = await findFreePort(Number(process.env.POOLWARDEN_TEST_PORT ?? 18545) + 240)
    const node = await startAnvil({ port, chainId: 4243, timestampInterval: 1 })
    try {
      const rpc = <T>(method: string, params: unknown[] = []) => rpcRequest<T>(node.url, method, params)
      // Returns 42 as one word: PUSH1 2a PUSH1 0 MSTORE PUSH1 20 PUSH1 0 RETURN.
      const target = '0x00000000000000000000000000000000000000aa'
      const code = '0x602a60005260206000f3'
      await rpc('anvil_setCode', [target, code])
      await rpc('anvil_mine', ['0x5', '0x1'])
      const [from] = await rpc<string[]>('eth_accounts')
      /** Between a snapshot and its revert: 5 blocks, a reorg of `depth` (a transfer in its first new block), 3 more; the code at each of the last 6 blocks' hashes. */
      const codesAfterReorg = async (depth: number): Promise<string[]> => {
        const snap = await rpc<string>('evm_snapshot')
        await rpc('anvil_mine', ['0x5', '0x1'])
        await rpc('anvil_reorg', [depth, [[{ from, to: '0x00000000000000000000000000000000000000bb', value: '0x1' }, 0]]])
        await rpc('anvil_mine', ['0x3', '0x1'])
        const head = BigInt(await rpc<string>('eth_blockNumber'))
        const codes: string[] = []
        for (let n = head - 5n; n <= head; n++) {
          const block = await rpc<{ hash: string }>('eth_getBlockByNumber', [`0x${n.toString(16)}`, false])
          codes.push(await rpc<string>('eth_getCode', [target, { blockHash: block.hash }]))
        }
        await rpc('evm_revert', [snap])
        return codes
      }
      const served = Array<string>(6).fill(code)
      expect(await codesAfterReorg(1)).toEqual(served)
      expect(await codesAfterReorg(3)).toEqual(served)
      // A long history: anvil's in-memory limit of states shrinks, older states go to its disk tier.
      const snap = await rpc<string>('evm_snapshot')
      for (let i = 0; i < 10; i++) await rpc('anvil_mine', ['0x64', '0x1'])
      await rpc('evm_revert', [snap])
      expect(await codesAfterReorg(1)).toEqual(served)
      expect(await codesAfterReorg(3)).toEqual(Array<string>(6).fill('0x'))
    } finally {
      await node.stop()
    }
  })
})
