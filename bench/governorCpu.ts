/**
 * The governor agent's CPU and memory on the calm devnet, as a process of its own (the devnet
 * harness, not `npm start`, whose ports are shared): three anvil chains on free ports mining a
 * block a second, the local Snapshot hub in this process, the calm scenario's governance world
 * seeded and its delegators voting over time, and the governor bundled with esbuild (as
 * `npm start` runs it) from `root` — so the same harness measures another checkout (the code
 * before a change) too. CPU is read from /proc/<pid>/stat (utime + stime), resident memory from
 * /proc/<pid>/status (VmRSS, VmHWM).
 */
import { spawn } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createTestClient, http } from 'viem'
import { devKey, ROLES } from '../devnet/accounts'
import { createDelegatorActor, delegatorIdentities } from '../devnet/governance/delegators'
import { hubChainHooks } from '../devnet/governance/hubHooks'
import { seedGovernance } from '../devnet/governance/seed'
import { startLocalDevnet } from '../devnet/local'
import { loadScenario } from '../devnet/scenario'
import { startHub } from '../devnet/snapshot/hub'

export interface GovernorCpuFigures {
  root: string
  /** Share of one core over each window (0..1), from the governor's start. */
  windows: { fromS: number; toS: number; cpu: number }[]
  rssMb: number
  peakRssMb: number
  rounds: number
}

const CLK_TCK = 100
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(fields[11]) + Number(fields[12]) // utime, stime (fields 14 and 15)
}
function memKb(pid: number, key: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) : 0
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The governor bundled by `<root>`'s own scripts/lib/bundle.ts (as npm start builds it) into `<root>/.devnet/bench-governor/`. */
async function bundleGovernor(root: string): Promise<string> {
  const out = join(root, '.devnet', 'bench-governor')
  const mod = (await import(join(root, 'scripts/lib/bundle.ts'))) as { bundle(entries: Record<string, string>, outDir: string): Promise<void> }
  await mod.bundle({ governor: 'agents/governor.ts' }, out)
  return join(out, 'governor.mjs')
}

export async function benchGovernorCpu(opts: {
  root?: string
  basePort: number
  windows?: [number, number][]
  /** Write a V8 CPU profile of the governor (node --cpu-prof) into this directory when it exits. */
  cpuProfDir?: string
}): Promise<GovernorCpuFigures> {
  const root = resolve(opts.root ?? process.cwd())
  const windows = opts.windows ?? [[0, 60], [60, 120]]
  const script = await bundleGovernor(root)
  const dir = await mkdtemp(join(tmpdir(), 'pw-governor-bench-'))
  const devnet = await startLocalDevnet({ basePort: opts.basePort, custody: 'eoa', storePath: join(dir, 'poolwarden.sqlite') })
  const abort = new AbortController()
  let child: ReturnType<typeof spawn> | undefined
  let hub: Awaited<ReturnType<typeof startHub>> | undefined
  try {
    // As under npm start: a block every second on every chain.
    await Promise.all(devnet.config.chains.map((c) => createTestClient({ mode: 'anvil', transport: http(c.rpc[0]!.url) }).setIntervalMining({ interval: 1 })))
    const scenario = await loadScenario('calm')
    const gov = scenario.governance!
    hub = await startHub({ dbPath: join(dir, 'hub.sqlite'), port: 0, devnetApi: true, ...hubChainHooks(devnet.deployment, gov.spaces) })
    const t0 = Math.floor(Date.now() / 1000)
    await seedGovernance({ hubUrl: hub.url, deployment: devnet.deployment, governance: gov, t0 })
    const actor = createDelegatorActor({
      sequencerUrl: hub.url,
      graphqlUrl: hub.graphqlUrl,
      space: gov.spaces.signals,
      delegators: delegatorIdentities(devnet.deployment, gov.delegators.accounts),
      config: gov.delegators,
    })
    void actor.run(abort.signal).catch(() => undefined)
    const config = structuredClone(devnet.config) as unknown as Record<string, unknown> & { governance: { snapshot: Record<string, string> } }
    config.governance.snapshot = { ...config.governance.snapshot, graphqlUrl: hub.graphqlUrl, sequencerUrl: hub.url, ipfsUrl: `${hub.url}/ipfs/` }
    const configPath = join(dir, 'config.json')
    writeFileSync(configPath, JSON.stringify(config))
    const { NODE_FLAGS } = (await import(join(root, 'ecosystem.config.js'))) as { NODE_FLAGS: string[] }
    let rounds = 0
    const prof = opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${resolve(opts.cpuProfDir)}`] : []
    child = spawn(process.execPath, [...NODE_FLAGS, ...prof, script], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', POOLWARDEN_CONFIG: configPath, POOLWARDEN_VOTER_KEY: devKey(ROLES.voter), NODE_ENV: 'development', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child.stdout!.on('data', (d: Buffer) => {
      rounds += (d.toString().match(/governance round/g) ?? []).length
    })
    let tail = ''
    const keep = (d: Buffer) => {
      tail = (tail + d.toString()).slice(-2000)
    }
    child.stderr!.on('data', keep)
    child.stdout!.on('data', keep)
    const pid = child.pid!
    const started = performance.now()
    const marks = new Map<number, number>()
    const at = [...new Set(windows.flat())].sort((a, b) => a - b)
    for (const s of at) {
      const wait = started + s * 1000 - performance.now()
      if (wait > 0) await sleep(wait)
      if (child.exitCode !== null) throw new Error(`the governor exited (${child.exitCode}) before ${s} s: ${tail}`)
      marks.set(s, cpuTicks(pid))
    }
    return {
      root,
      windows: windows.map(([a, b]) => ({ fromS: a, toS: b, cpu: (marks.get(b)! - marks.get(a)!) / CLK_TCK / (b - a) })),
      rssMb: memKb(pid, 'VmRSS') / 1024,
      peakRssMb: memKb(pid, 'VmHWM') / 1024,
      rounds,
    }
  } finally {
    abort.abort()
    if (child && child.exitCode === null) {
      child.kill('SIGTERM')
      // The governor ends its loop and exits (the CPU profile, when asked for, is written then).
      for (let i = 0; i < 100 && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 100))
      if (child.exitCode === null) child.kill('SIGKILL')
    }
    await hub?.close()
    await devnet.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

if (process.argv[1]?.endsWith('governorCpu.ts')) {
  const root = process.argv[2] ?? process.cwd()
  // POOLWARDEN_GOVERNOR_CPU_PROF=<dir>: also profile the governor (a .cpuprofile file, for Chrome DevTools or bench/cpuProfileTop.ts).
  const cpuProfDir = process.env.POOLWARDEN_GOVERNOR_CPU_PROF
  benchGovernorCpu({ root, basePort: Number(process.env.POOLWARDEN_BENCH_PORT ?? 21950), ...(cpuProfDir ? { cpuProfDir } : {}) }).then(
    (f) => {
      for (const w of f.windows) console.log(`governor CPU ${w.fromS}–${w.toS} s: ${(w.cpu * 100).toFixed(1)} % of a core`)
      console.log(`governor RSS: ${f.rssMb.toFixed(1)} MB (peak ${f.peakRssMb.toFixed(1)} MB), ${f.rounds} logged rounds, root ${f.root}`)
      process.exit(0)
    },
    (err) => {
      console.error(err)
      process.exit(1)
    },
  )
}
