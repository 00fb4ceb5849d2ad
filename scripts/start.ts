/**
 * `npm start [-- --scenario <name>]`.
 * Devnet (no POOLWARDEN_CONFIG): starts three anvil chains under PM2, compiles and deploys the
 * contracts, writes `.devnet/config.json`, starts the devnet's services, waits until each answers,
 * then the agents; waits for the first samples and prints the status table.
 * Live (POOLWARDEN_CONFIG set): validates the config and starts the agents only.
 *
 * Atomic: a lock file (`<devnet dir>/run.lock`) says a start is in progress and at which step;
 * Ctrl-C, SIGTERM (what `npm stop` sends) or a failure ends the start and every process it
 * launched (scripts/lib/teardown.ts), and checks that nothing is left listening.
 * POOLWARDEN_DEVNET_PORTS=<base> and POOLWARDEN_DEVNET_DIR=<dir> run a second network beside the
 * first (devnet/ports.ts); PM2_HOME must then differ too.
 */
import { existsSync, rmSync, mkdirSync, writeFileSync } from 'node:fs'
import { committeeKey, devKey, ROLES } from '../devnet/accounts'
import { privateKeyToAccount } from 'viem/accounts'
import { getAddress } from 'viem'
import { addProposerDelegate } from '../execution/committee/delegate'
import { txServiceOf } from '../execution/committee/planSafeTx'
import { join, relative } from 'node:path'
import { parseArgs } from 'node:util'
import { loadConfig } from '../config/load'
import type { Config } from '../config/schema'
import { custodyWarning } from '../execution/custody'
import { ConfigError, describeError } from '../core/errors'
import { compileContracts } from '../devnet/compile'
import { DEVNET_FINALITY_DEPTH, deployDevnet, writeDevnetConfig } from '../devnet/deploy'
import { isPortFree, waitForRpc } from '../devnet/anvil'
import { loadScenario, scenarioNames } from '../devnet/scenario'
import { txServiceUrlFor } from '../devnet/safe/txService'
import { openStore } from '../store'
import { buildStatus, renderStatus } from '../watch/statusReport'
import { buildApps } from './build'
import { connect, disconnect, list, loadEcosystem, pm2Settled, refusePm2, startApps } from './lib/pm2'
import { network } from './lib/network'
import { pm2DaemonPid } from './lib/procs'
import { waitForHttp } from '../devnet/ready'
import { acquireLock, describeLock, readLock, releaseLock, updateLock, type RunLockState } from './lib/runLock'
import { teardown } from './lib/teardown'
import { quietOnClosedPipe } from './lib/cli'

const t0 = Date.now()
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`
const net = network()
const lockState: RunLockState = { phase: 'starting', pid: process.pid, pm2Home: net.pm2Home, since: new Date().toISOString(), ports: net.named.map((p) => p.port) }
let lockHeld = false

/** Aborted by a signal: every await below checks it, and PM2 refuses further calls. */
const aborter = new AbortController()
const checkAborted = () => aborter.signal.throwIfAborted()

const step = (msg: string) => {
  console.log(`▸ ${msg}  (${elapsed()})`)
  if (lockHeld && !aborter.signal.aborted) {
    lockState.step = msg
    updateLock(net.lockFile, lockState)
  }
}

// ── interruption: Ctrl-C, `npm stop` (SIGTERM), a closed terminal ──────────────────────────────
let endingBy: NodeJS.Signals | undefined
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    if (endingBy) return // already tearing down; a second Ctrl-C does not cut it short
    endingBy = sig
    aborter.abort(new Error(`interrupted by ${sig}`))
    refusePm2(`npm start was interrupted (${sig})`)
    console.error(`\n${sig}: stopping what this start launched…`)
    void endAll(`interrupted (${sig})`).then((ok) => process.exit(ok ? 128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1) : 1))
  })
}

/** Ends every process of this network and releases the lock; false if something is left listening. */
async function endAll(why: string): Promise<boolean> {
  if (lockHeld) updateLock(net.lockFile, { ...lockState, phase: 'stopping', step: why })
  // A connect still pending may be launching the daemon: let it come up, then sweep it too.
  await pm2Settled(20_000)
  const report = await teardown({ pm2Home: net.pm2Home, ports: net.named, log: (l) => console.error(l) })
  if (lockHeld) releaseLock(net.lockFile)
  lockHeld = false
  for (const p of report.stillListening) console.error(`! port ${p.port} (${p.what}) is still in use by ${p.pids.length ? p.pids.map((pid, i) => `pid ${pid} (${p.cmds[i]})`).join(', ') : 'another user'}`)
  for (const a of report.left) console.error(`! still running: pid ${a.pid} ${a.cmd}`)
  const clean = report.stillListening.length === 0 && report.left.length === 0
  console.error(`${report.ended.length ? `stopped ${report.ended.length} process(es)` : 'nothing had started'}${clean ? '; nothing left running.' : '.'}`)
  return clean
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { scenario: { type: 'string', default: 'calm' }, help: { type: 'boolean' } }, allowPositionals: false })
  if (values.help) {
    console.log(`usage: npm start [-- --scenario <${scenarioNames().join('|')}>]`)
    console.log('env: POOLWARDEN_DEVNET_PORTS=<base> moves every devnet port (chains base.., hub +10, Safe tx service +11, Bot API +12, guardian +13);')
    console.log('     POOLWARDEN_DEVNET_DIR=<dir> its data (default .devnet); PM2_HOME its PM2 daemon (default .pm2)')
    return
  }

  // The lock: one start or stop at a time, and a second one is told what is going on.
  const got = acquireLock(net.lockFile, lockState)
  if (!got.ok) {
    if (got.held.phase === 'running' && !pm2DaemonPid(net.pm2Home)) {
      // Its daemon is gone (a reboot, a kill -9): the lock is stale.
      rmSync(net.lockFile, { force: true })
      const again = acquireLock(net.lockFile, lockState)
      if (!again.ok) throw new ConfigError([`${describeLock(again.held)}: wait for it, or run \`npm stop\``])
    } else if (got.held.phase === 'running') {
      console.log(`${describeLock(got.held)}.`)
      console.log('`npm run status` shows it; `npm stop` stops it.')
      return
    } else {
      throw new ConfigError([`${describeLock(got.held)}: wait for it, or run \`npm stop\` (lock: ${relative(process.cwd(), net.lockFile)})`])
    }
  }
  lockHeld = true

  // Leftovers of a start or stop that died without its teardown (kill -9, a crash).
  const leftover = pm2DaemonPid(net.pm2Home)
  if (leftover) {
    await connect()
    const running = (await list()).filter((p) => p.status === 'online')
    disconnect()
    if (running.length > 0) {
      lockState.phase = 'running'
      updateLock(net.lockFile, lockState)
      lockHeld = false
      console.log(`poolwarden is already running (${running.map((p) => p.name).join(', ')}).`)
      console.log('`npm run status` shows it; `npm stop` stops it.')
      return
    }
  }
  checkAborted()

  await connect()
  checkAborted()
  if (net.live) {
    const config = loadConfig()
    step(`live mode: ${config.chains.length} chain(s), ${config.venues.length} venue(s) from ${process.env.POOLWARDEN_CONFIG}`)
    const warning = custodyWarning(config)
    if (warning) console.log(`! ${warning}`)
    else step(`custody: the pool is the Safe ${config.pool.account}; the executor acts through the Roles modifier (npm run custody -- diff)`)
    await buildApps(net.distDir)
    checkAborted()
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
  for (const p of net.named) {
    if (!(await isPortFree(p.port))) {
      throw new ConfigError([`devnet: port ${p.port} (${p.what}) is in use: stop what listens there, or move every devnet port with POOLWARDEN_DEVNET_PORTS=<base>`])
    }
  }
  // A new devnet every start: chains begin empty, so the old store and config are stale.
  const devDir = net.devnetDir
  for (const f of ['poolwarden.sqlite', 'poolwarden.sqlite-wal', 'poolwarden.sqlite-shm', 'config.json', 'deployment.json', 'signer.key', 'executor.key', 'voter.key', 'distributor.key', 'snapshot-hub.sqlite', 'snapshot-hub.sqlite-wal', 'snapshot-hub.sqlite-shm', 'safe-tx-service.sqlite', 'safe-tx-service.sqlite-wal', 'safe-tx-service.sqlite-shm']) rmSync(join(devDir, f), { force: true })
  for (const f of ['guardian.sqlite', 'guardian.sqlite-wal', 'guardian.sqlite-shm']) rmSync(join(devDir, f), { force: true })
  rmSync(join(devDir, 'logs'), { recursive: true, force: true })
  mkdirSync(join(devDir, 'logs'), { recursive: true })

  process.env.POOLWARDEN_SCENARIO = scenarioName
  let eco = await loadEcosystem()
  const anvils = eco.devnetApps.filter((a) => (a as { name: string }).name.startsWith('anvil-'))
  await startApps(anvils)
  const specs = net.chainsFile.chains.map((c, i) => ({ name: c.name, chainId: c.chainId, url: `http://127.0.0.1:${net.ports.chains[i]}/` }))
  await Promise.all(specs.map((s) => waitForRpc(s.url, { chainId: s.chainId, timeoutMs: 30_000, isDead: () => (aborter.signal.aborted ? 'interrupted' : undefined) })))
  step(`chains up: ${specs.map((s) => `${s.name} ${s.url}`).join(', ')}`)

  const artifacts = await compileContracts({
    onProgress: (p) => {
      if (p.phase === 'cache-hit') step('contracts: compiled earlier (cache hit)')
      if (p.phase === 'compiling') step(`contracts: compiling ${p.sources} Solidity sources with solc-js (first start only, ~30 s)…`)
      if (p.phase === 'compiled') step(`contracts: ${p.contracts} compiled in ${(p.ms / 1000).toFixed(1)}s`)
    },
  })
  checkAborted()
  const seen = new Set<string>()
  const hubUrl = `http://127.0.0.1:${net.ports.hub}`
  const txServiceUrl = `http://127.0.0.1:${net.ports.txService}`
  const guardianUrl = `http://127.0.0.1:${net.ports.guardian}`
  const result = await deployDevnet({
    chains: specs,
    artifacts,
    scenario,
    blockTimeMs: net.chainsFile.blockTimeSeconds * 1000,
    finalityDepth: DEVNET_FINALITY_DEPTH,
    storePath: relative(net.root, join(devDir, 'poolwarden.sqlite')),
    guardianUrl,
    hubUrl,
    txServiceUrl,
    botApiPort: net.ports.botApi,
    onProgress: (e) => {
      checkAborted()
      const key = `${e.chain}:${e.step}`
      if (!seen.has(key)) {
        seen.add(key)
        step(`deploy ${e.chain}: ${e.step}`)
      }
    },
  })
  checkAborted()
  const written = await writeDevnetConfig(result, join(devDir, 'config.json'))
  // One key, one job: the executor signs with the pool's account (anvil's well-known #1), the
  // governor with its own voting key (#10); each file reaches only its app (ecosystem.config.js).
  // Live keys never touch disk here.
  writeFileSync(join(devDir, 'executor.key'), `${devKey(ROLES.pool)}\n`, { mode: 0o600 })
  writeFileSync(join(devDir, 'voter.key'), `${devKey(ROLES.voter)}\n`, { mode: 0o600 })
  writeFileSync(join(devDir, 'distributor.key'), `${devKey(ROLES.distributor)}\n`, { mode: 0o600 })
  step(`deployed ${result.config.venues.length} venues on ${specs.length} chains; config at ${relative(process.cwd(), written.configPath)}`)

  await buildApps(net.distDir)
  checkAborted()
  step(`agents bundled into ${relative(process.cwd(), net.distDir)}/`)
  eco = await loadEcosystem()
  const named = (a: object) => (a as { name: string }).name
  // The devnet's services first, each waited for until it answers; then what depends on them.
  const services = eco.devnetApps.filter((a) => !named(a).startsWith('anvil-') && named(a) !== 'delegators')
  await startApps(services)
  step(`started ${services.map(named).join(', ')} (scenario: ${scenarioName})`)
  const config = loadConfig({ path: written.configPath })
  const logs = relative(process.cwd(), join(devDir, 'logs'))
  const signal = aborter.signal
  await Promise.all([
    waitForHttp('the local Snapshot hub', `${hubUrl}/graphql`, { signal, init: { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' }, logHint: `${logs}/snapshot-hub.log` }),
    waitForHttp('the local Telegram Bot API', `${config.telegram.apiRoot ?? `http://127.0.0.1:${net.ports.botApi}`}/_devnet/ready`, { signal, logHint: `${logs}/telegram-api.log` }),
    config.wormhole ? waitForHttp('the local Wormhole guardian', `${guardianUrl}/v1/guardianset/current`, { signal, logHint: `${logs}/guardian.log` }) : undefined,
    result.deployment.custody ? waitForHttp('the local Safe Transaction Service', `${txServiceUrlFor(txServiceUrl, specs[0]!.chainId)}/v1/about/`, { signal, logHint: `${logs}/safe-tx-service.log` }) : undefined,
  ])
  step(`services answer: hub ${hubUrl}, Bot API ${config.telegram.apiRoot}${config.wormhole ? `, guardian ${guardianUrl}` : ''}${result.deployment.custody ? `, Safe tx service ${txServiceUrl}/<chainId>/api` : ''}`)
  if (result.deployment.custody && config.custody.kind === 'safe') {
    // The executor may propose the same-nonce rejection of an ended plan's Safe tx only as a
    // delegate of the Safe (the service takes proposals from owners and delegates): on the devnet,
    // alice registers it on every chain, as `npm run custody -- delegate --as alice` would.
    const executor = privateKeyToAccount(devKey(ROLES.pool)).address
    for (const c of config.chains) {
      const service = txServiceOf(config, c.name)
      if (service) await addProposerDelegate(service, { safe: getAddress(config.pool.account), delegate: executor, ownerKey: committeeKey('alice'), chainId: c.chainId, rpcUrl: c.rpc[0]!.url })
    }
    step(`alice registered the executor ${executor} as a delegate of the Safe on ${config.chains.length} chain(s) (it proposes rejections of ended plans; it never confirms)`)
  }
  const rest = [...eco.devnetApps.filter((a) => named(a) === 'delegators'), ...eco.agentApps]
  await startApps(rest)
  step(`started ${rest.map(named).join(', ')}`)

  // Wait until every venue has a sample, then show the table.
  const store = await openStore({ path: join(net.root, config.store.path) })
  try {
    const deadline = Date.now() + 90_000
    let have = 0
    while (Date.now() < deadline) {
      checkAborted()
      have = (await store.history.latestPerVenue()).length
      if (have >= config.venues.length) break
      await new Promise((r) => setTimeout(r, 500))
    }
    if (have < config.venues.length) console.log(`! only ${have}/${config.venues.length} venues sampled so far; see ${logs}/`)
    else step(`watching: every venue sampled`)
    console.log()
    console.log(renderStatus(await buildStatus(config, store)))
  } finally {
    await store.close()
  }
  printWhereToLook(true, dashboardUrl(config))
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
  console.log(`  ${devnet ? `${relative(process.cwd(), join(net.devnetDir, 'logs'))}/*.log` : 'logs/*.log'}        agent logs (pino JSON); or: npm run pm2 -- logs`)
  console.log('  npm run pm2 -- ls         processes')
  console.log('  npm stop                  stop everything')
}

quietOnClosedPipe()
main().then(
  () => {
    if (endingBy) return // the signal handler ends the process
    if (lockHeld) {
      updateLock(net.lockFile, { ...lockState, phase: 'running', step: undefined })
      lockHeld = false
    }
    disconnect()
    process.exit(0)
  },
  async (err) => {
    if (endingBy) return // interrupted: the signal handler tears down and exits
    console.error(err instanceof ConfigError ? err.message : `npm start: ${describeError(err)}`)
    // Leave nothing half-started behind — but only what this start launched: a start refused by
    // the lock touched nothing.
    if (lockHeld) {
      refusePm2('npm start failed')
      const ok = await endAll('failed').catch(() => false)
      if (!ok) console.error('could not stop everything that was started: run `npm stop`')
    }
    process.exit(1)
  },
)

// Keep the lock file honest if this process is about to exit any other way.
process.on('exit', () => {
  if (lockHeld && readLock(net.lockFile)?.pid === process.pid && lockState.phase === 'starting') releaseLock(net.lockFile)
})
