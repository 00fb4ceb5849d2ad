/**
 * `npm start [-- --scenario <name>]`.
 * Devnet (no POOLWARDEN_CONFIG): starts three anvil chains under PM2, compiles and deploys the
 * contracts, writes `.devnet/config.json`, starts the market simulator and one watcher per chain,
 * waits for the first samples and prints the status table.
 * Live (POOLWARDEN_CONFIG set): validates the config and starts the agents only.
 */
import { existsSync, readFileSync, rmSync, mkdirSync, writeFileSync } from 'node:fs'
import { devKey, ROLES } from '../devnet/accounts'
import { join, relative } from 'node:path'
import { parseArgs } from 'node:util'
import { loadConfig } from '../config/load'
import type { Config } from '../config/schema'
import { custodyWarning } from '../execution/custody'
import { ConfigError, describeError } from '../core/errors'
import { compileContracts } from '../devnet/compile'
import { DEFAULT_GUARDIAN_URL, deployDevnet, writeDevnetConfig } from '../devnet/deploy'
import { isPortFree, waitForRpc } from '../devnet/anvil'
import { loadScenario, scenarioNames } from '../devnet/scenario'
import { DEVNET_HUB_PORT } from '../devnet/governance/constants'
import { DEVNET_SAFE_TX_SERVICE_PORT, DEVNET_SAFE_TX_SERVICE_URL, txServiceUrlFor } from '../devnet/safe/txService'
import { openStore } from '../store'
import { buildStatus, renderStatus } from '../watch/statusReport'
import { buildApps } from './build'
import { connect, disconnect, killDaemon, list, loadEcosystem, ROOT, startApps } from './lib/pm2'

const t0 = Date.now()
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`
const step = (msg: string) => console.log(`▸ ${msg}  (${elapsed()})`)

interface DevnetChainsFile {
  chains: Array<{ name: string; chainId: number; port: number }>
  blockTimeSeconds: number
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { scenario: { type: 'string', default: 'calm' }, help: { type: 'boolean' } }, allowPositionals: false })
  if (values.help) {
    console.log(`usage: npm start [-- --scenario <${scenarioNames().join('|')}>]`)
    return
  }
  const live = Boolean(process.env.POOLWARDEN_CONFIG?.trim())

  await connect()
  try {
    const running = (await list()).filter((p) => p.status === 'online')
    if (running.length > 0) {
      console.log(`poolwarden is already running (${running.map((p) => p.name).join(', ')}).`)
      console.log('`npm run status` shows it; `npm stop` stops it.')
      return
    }

    if (live) {
      const config = loadConfig()
      step(`live mode: ${config.chains.length} chain(s), ${config.venues.length} venue(s) from ${process.env.POOLWARDEN_CONFIG}`)
      const warning = custodyWarning(config)
      if (warning) console.log(`! ${warning}`)
      else step(`custody: the pool is the Safe ${config.pool.account}; the executor acts through the Roles modifier (npm run custody -- diff)`)
      await buildApps()
      const eco = await loadEcosystem()
      await startApps(eco.agentApps)
      step(`started ${eco.agentApps.length} agent(s)`)
      printWhereToLook(false, dashboardUrl(config))
      return
    }

    // ── devnet ──────────────────────────────────────────────────────────────────────────────
    const scenarioName = values.scenario!
    if (!scenarioNames().includes(scenarioName) && !existsSync(scenarioName)) {
      throw new ConfigError([`--scenario: unknown scenario "${scenarioName}" (known: ${scenarioNames().join(', ')}): pick one or give a path to a scenario JSON file`])
    }
    const scenario = await loadScenario(scenarioName)
    const devnetFile = JSON.parse(readFileSync(join(ROOT, 'scripts/devnet-chains.json'), 'utf8')) as DevnetChainsFile
    for (const c of devnetFile.chains) {
      if (!(await isPortFree(c.port))) {
        throw new ConfigError([`devnet: port ${c.port} (chain ${c.name}) is in use: stop what listens there, or change scripts/devnet-chains.json`])
      }
    }
    if (!(await isPortFree(DEVNET_HUB_PORT))) {
      throw new ConfigError([`devnet: port ${DEVNET_HUB_PORT} (the local Snapshot hub) is in use: stop what listens there`])
    }
    if (!(await isPortFree(DEVNET_SAFE_TX_SERVICE_PORT))) {
      throw new ConfigError([`devnet: port ${DEVNET_SAFE_TX_SERVICE_PORT} (the local Safe Transaction Service) is in use: stop what listens there`])
    }
    const guardianPort = Number(new URL(DEFAULT_GUARDIAN_URL).port)
    if (!(await isPortFree(guardianPort))) throw new ConfigError([`devnet: port ${guardianPort} (the local Wormhole guardian) is in use: stop what listens there`])
    // A new devnet every start: chains begin empty, so the old store and config are stale.
    const devDir = join(ROOT, '.devnet')
    for (const f of ['poolwarden.sqlite', 'poolwarden.sqlite-wal', 'poolwarden.sqlite-shm', 'config.json', 'deployment.json', 'signer.key', 'executor.key', 'voter.key', 'snapshot-hub.sqlite', 'snapshot-hub.sqlite-wal', 'snapshot-hub.sqlite-shm', 'safe-tx-service.sqlite', 'safe-tx-service.sqlite-wal', 'safe-tx-service.sqlite-shm']) rmSync(join(devDir, f), { force: true })
    for (const f of ['guardian.sqlite', 'guardian.sqlite-wal', 'guardian.sqlite-shm']) rmSync(join(devDir, f), { force: true })
    rmSync(join(devDir, 'logs'), { recursive: true, force: true })
    mkdirSync(join(devDir, 'logs'), { recursive: true })

    process.env.POOLWARDEN_SCENARIO = scenarioName
    let eco = await loadEcosystem()
    const anvils = eco.devnetApps.filter((a) => (a as { name: string }).name.startsWith('anvil-'))
    await startApps(anvils)
    const specs = devnetFile.chains.map((c) => ({ name: c.name, chainId: c.chainId, url: `http://127.0.0.1:${c.port}/` }))
    await Promise.all(specs.map((s) => waitForRpc(s.url, { chainId: s.chainId, timeoutMs: 30_000 })))
    step(`chains up: ${specs.map((s) => `${s.name} ${s.url}`).join(', ')}`)

    const artifacts = await compileContracts({
      onProgress: (p) => {
        if (p.phase === 'cache-hit') step('contracts: compiled earlier (cache hit)')
        if (p.phase === 'compiling') step(`contracts: compiling ${p.sources} Solidity sources with solc-js (first start only, ~30 s)…`)
        if (p.phase === 'compiled') step(`contracts: ${p.contracts} compiled in ${(p.ms / 1000).toFixed(1)}s`)
      },
    })
    const seen = new Set<string>()
    const result = await deployDevnet({
      chains: specs,
      artifacts,
      scenario,
      blockTimeMs: devnetFile.blockTimeSeconds * 1000,
      onProgress: (e) => {
        const key = `${e.chain}:${e.step}`
        if (!seen.has(key)) {
          seen.add(key)
          step(`deploy ${e.chain}: ${e.step}`)
        }
      },
    })
    const written = await writeDevnetConfig(result, join(devDir, 'config.json'))
    // One key, one job: the executor signs with the pool's account (anvil's well-known #1), the
    // governor with its own voting key (#10); each file reaches only its app (ecosystem.config.js).
    // Live keys never touch disk here.
    writeFileSync(join(devDir, 'executor.key'), `${devKey(ROLES.pool)}\n`, { mode: 0o600 })
    writeFileSync(join(devDir, 'voter.key'), `${devKey(ROLES.voter)}\n`, { mode: 0o600 })
    step(`deployed ${result.config.venues.length} venues on ${specs.length} chains; config at ${relative(process.cwd(), written.configPath)}`)

    await buildApps()
    step('agents bundled into dist/')
    eco = await loadEcosystem()
    const rest = [...eco.devnetApps.filter((a) => !(a as { name: string }).name.startsWith('anvil-')), ...eco.agentApps]
    await startApps(rest)
    step(`started ${rest.map((a) => (a as { name: string }).name).join(', ')} (scenario: ${scenarioName})`)
    if (result.deployment.custody) await waitForTxService(txServiceUrlFor(DEVNET_SAFE_TX_SERVICE_URL, specs[0]!.chainId))

    // Wait until every venue has a sample, then show the table.
    const config = loadConfig({ path: written.configPath })
    const store = await openStore({ path: join(ROOT, config.store.path) })
    try {
      const deadline = Date.now() + 90_000
      let have = 0
      while (Date.now() < deadline) {
        have = (await store.samples.latestPerVenue()).length
        if (have >= config.venues.length) break
        await new Promise((r) => setTimeout(r, 500))
      }
      if (have < config.venues.length) console.log(`! only ${have}/${config.venues.length} venues sampled so far; see .devnet/logs/`)
      else step(`watching: every venue sampled`)
      console.log()
      console.log(renderStatus(await buildStatus(config, store)))
    } finally {
      await store.close()
    }
    printWhereToLook(true, dashboardUrl(config))
  } finally {
    disconnect()
  }
}

/** Where the web agent serves the dashboard (config web.host and web.port). */
function dashboardUrl(config: Config): string {
  const host = config.web.host.includes(':') ? `[${config.web.host}]` : config.web.host
  return `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${config.web.port}/`
}

function printWhereToLook(devnet: boolean, dashboard: string): void {
  console.log()
  console.log(`Dashboard: ${dashboard}`)
  console.log()
  console.log('Where to look:')
  console.log('  npm run status            venues × chains, open alerts, agents (live from the store)')
  if (devnet) console.log("  npm run chat              a chat with the devnet's Telegram bot (--as alice: a committee member)")
  console.log(`  ${devnet ? '.devnet/logs/*.log' : 'logs/*.log'}        agent logs (pino JSON); or: npm run pm2 -- logs`)
  console.log('  npm run pm2 -- ls         processes')
  console.log('  npm stop                  stop everything')
}

main().then(
  () => process.exit(0),
  async (err) => {
    console.error(err instanceof ConfigError ? err.message : `npm start: ${describeError(err)}`)
    // Leave nothing half-started behind.
    try {
      await connect()
      await killDaemon()
    } catch {
      console.error('could not stop what was started: run `npm stop`')
    }
    process.exit(1)
  },
)

/** Readiness of the local Safe Transaction Service: its `about` answers (committee plans are proposed there). */
async function waitForTxService(url: string): Promise<void> {
  const deadline = Date.now() + 30_000
  for (;;) {
    const ok = await fetch(`${url}/v1/about/`).then((r) => r.ok, () => false)
    if (ok) return step(`safe transaction service: ${DEVNET_SAFE_TX_SERVICE_URL}/<chainId>/api`)
    if (Date.now() > deadline) return console.log(`! the local Safe Transaction Service does not answer at ${url}; see .devnet/logs/safe-tx-service.log`)
    await new Promise((r) => setTimeout(r, 250))
  }
}
