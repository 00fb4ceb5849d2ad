import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { findFreePort, startAnvil, type AnvilInstance } from './anvil'
import { compileContracts } from './compile'
import { DEFAULT_DEVNET_CHAINS, buildDevnetConfig, deployDevnet, type DeployResult } from './deploy'
import { startGuardian, type Guardian } from './wormhole/guardian'

export interface LocalDevnet extends DeployResult {
  nodes: AnvilInstance[]
  /** The local Wormhole guardian, when asked for (`guardian` option); config.wormhole.api points at it. */
  guardian?: Guardian
  timings: { anvilMs: number; compileMs: number; deployMs: number }
  stop(): Promise<void>
}

/**
 * Three anvil chains (automine, one second between block timestamps) on free ports from
 * `basePort`, contracts compiled (cached) and deployed. For tests and benchmarks; `npm start`
 * runs the chains under PM2 instead. Leaves nothing running on failure.
 */
export async function startLocalDevnet(opts: {
  basePort: number
  storePath?: string
  /** Also start the local Wormhole guardian in-process (free port, temporary database). */
  guardian?: boolean | { pollMs?: number }
  /** Custody of the deployment (default "safe": the pool in a Safe, the executor in a Roles role). */
  custody?: 'safe' | 'eoa'
}): Promise<LocalDevnet> {
  const t0 = performance.now()
  const nodes: AnvilInstance[] = []
  let guardian: Guardian | undefined
  let guardianDir: string | undefined
  const stop = async () => {
    await guardian?.stop()
    if (guardianDir) await rm(guardianDir, { recursive: true, force: true })
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
    const result = await deployDevnet({ chains, artifacts, storePath: opts.storePath, custody: opts.custody })
    if (opts.guardian && result.config.wormhole) {
      guardianDir = await mkdtemp(path.join(os.tmpdir(), 'poolwarden-guardian-'))
      const pollMs = typeof opts.guardian === 'object' ? opts.guardian.pollMs : undefined
      guardian = await startGuardian({ config: result.config, dbPath: path.join(guardianDir, 'guardian.sqlite'), port: 0, pollMs })
      result.config = buildDevnetConfig(result.deployment, { storePath: opts.storePath, guardianUrl: guardian.url })
    }
    const tDeploy = performance.now()
    return {
      ...result,
      nodes,
      ...(guardian ? { guardian } : {}),
      timings: { anvilMs: Math.round(tAnvil - t0), compileMs: Math.round(tCompile - tAnvil), deployMs: Math.round(tDeploy - tCompile) },
      stop,
    }
  } catch (err) {
    await stop()
    throw err
  }
}
