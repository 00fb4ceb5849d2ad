import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { TestProject } from 'vitest/node'
import { DEFAULT_DEVNET_CHAINS } from '../devnet/deploy'
import { startLocalDevnet, type LocalDevnet } from '../devnet/local'
import type { DevnetContext } from './devnet'

/**
 * Global setup of the vitest `devnet` project: three anvil chains (automine, one second between
 * block timestamps) on free ports from 18545 (POOLWARDEN_TEST_PORT env to move), contracts compiled
 * (cached in .devnet/build) and deployed, the result provided as `inject('devnet')`. Teardown stops
 * every anvil. Tests isolate themselves with snapshots (test/devnet.ts).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const basePort = Number(process.env.POOLWARDEN_TEST_PORT ?? 18545)
  const storeDir = await mkdtemp(path.join(os.tmpdir(), 'poolwarden-devnet-'))
  let devnet: LocalDevnet | undefined
  const teardown = async () => {
    await devnet?.stop()
    await rm(storeDir, { recursive: true, force: true })
  }
  try {
    // Custody "eoa": the shared devnet of the execution and governance tests has the pool as dev
    // account #1 itself; the custody tests start a Safe devnet of their own (execution/custody/).
    devnet = await startLocalDevnet({ basePort, storePath: path.join(storeDir, 'poolwarden.sqlite'), custody: 'eoa' })
    const ctx: DevnetContext = {
      config: devnet.config,
      deployment: devnet.deployment,
      chains: DEFAULT_DEVNET_CHAINS.map((c, i) => ({ name: c.name, chainId: c.chainId, url: devnet!.nodes[i]!.url, port: devnet!.nodes[i]!.port })),
      timings: devnet.timings,
    }
    project.provide('devnet', ctx)
    if (process.env.POOLWARDEN_TEST_VERBOSE) console.log(`devnet: ${JSON.stringify(ctx.timings)} ${ctx.chains.map((c) => `${c.name}=${c.url}`).join(' ')}`)
    return teardown
  } catch (err) {
    await teardown()
    throw err
  }
}
