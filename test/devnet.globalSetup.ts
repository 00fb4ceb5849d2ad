import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { TestProject } from 'vitest/node'
import { findFreePort, startAnvil, type AnvilInstance } from '../devnet/anvil'
import { compileContracts } from '../devnet/compile'
import { DEFAULT_DEVNET_CHAINS, deployDevnet } from '../devnet/deploy'
import type { DevnetContext } from './devnet'

/**
 * Global setup of the vitest `devnet` project: three anvil chains (automine, one second between
 * block timestamps) on free ports from 18545 (POOLWARDEN_TEST_PORT env to move), contracts compiled
 * (cached in .devnet/build) and deployed, the result provided as `inject('devnet')`. Teardown stops
 * every anvil. Tests isolate themselves with snapshots (test/devnet.ts).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const t0 = performance.now()
  const basePort = Number(process.env.POOLWARDEN_TEST_PORT ?? 18545)
  const nodes: AnvilInstance[] = []
  const storeDir = await mkdtemp(path.join(os.tmpdir(), 'poolwarden-devnet-'))
  const teardown = async () => {
    await Promise.all(nodes.map((n) => n.stop()))
    await rm(storeDir, { recursive: true, force: true })
  }

  try {
    const used: number[] = []
    for (const c of DEFAULT_DEVNET_CHAINS) {
      // A port found free can be taken before anvil binds it: try the next one a few times.
      for (let attempt = 0; ; attempt++) {
        const port = await findFreePort(Math.max(basePort, ...used.map((p) => p + 1)), { exclude: used })
        used.push(port)
        try {
          nodes.push(await startAnvil({ port, chainId: c.chainId, timestampInterval: 1 }))
          break
        } catch (err) {
          if (attempt >= 3) throw err
        }
      }
    }
    const tAnvil = performance.now()
    const artifacts = await compileContracts()
    const tCompile = performance.now()
    const chains = DEFAULT_DEVNET_CHAINS.map((c, i) => ({ name: c.name, chainId: c.chainId, url: nodes[i]!.url }))
    const { config, deployment } = await deployDevnet({ chains, artifacts, storePath: path.join(storeDir, 'poolwarden.sqlite') })
    const tDeploy = performance.now()

    const ctx: DevnetContext = {
      config,
      deployment,
      chains: chains.map((c, i) => ({ ...c, port: nodes[i]!.port })),
      timings: {
        anvilMs: Math.round(tAnvil - t0),
        compileMs: Math.round(tCompile - tAnvil),
        deployMs: Math.round(tDeploy - tCompile),
      },
    }
    project.provide('devnet', ctx)
    if (process.env.POOLWARDEN_TEST_VERBOSE) console.log(`devnet: ${JSON.stringify(ctx.timings)} ${ctx.chains.map((c) => `${c.name}=${c.url}`).join(' ')}`)
    return teardown
  } catch (err) {
    await teardown()
    throw err
  }
}
