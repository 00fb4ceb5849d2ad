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
