import { findFreePort, startAnvil, type AnvilInstance } from './anvil'
import { compileContracts } from './compile'
import { DEFAULT_DEVNET_CHAINS, deployDevnet, type DeployResult } from './deploy'

export interface LocalDevnet extends DeployResult {
  nodes: AnvilInstance[]
  timings: { anvilMs: number; compileMs: number; deployMs: number }
  stop(): Promise<void>
}

/**
 * Three anvil chains (automine, one second between block timestamps) on free ports from
 * `basePort`, contracts compiled (cached) and deployed. For tests and benchmarks; `npm start`
 * runs the chains under PM2 instead. Leaves nothing running on failure.
 */
export async function startLocalDevnet(opts: { basePort: number; storePath?: string }): Promise<LocalDevnet> {
  const t0 = performance.now()
  const nodes: AnvilInstance[] = []
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop()))
  }
  try {
    const used: number[] = []
    for (const c of DEFAULT_DEVNET_CHAINS) {
      // A port found free can be taken before anvil binds it: try the next one a few times.
      for (let attempt = 0; ; attempt++) {
        const port = await findFreePort(Math.max(opts.basePort, ...used.map((p) => p + 1)), { exclude: used })
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
    const result = await deployDevnet({ chains, artifacts, storePath: opts.storePath })
    const tDeploy = performance.now()
    return {
      ...result,
      nodes,
      timings: { anvilMs: Math.round(tAnvil - t0), compileMs: Math.round(tCompile - tAnvil), deployMs: Math.round(tDeploy - tCompile) },
      stop,
    }
  } catch (err) {
    await stop()
    throw err
  }
}
