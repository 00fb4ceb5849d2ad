// PM2 apps of a poolwarden network. `npm start` drives this file through PM2's API; it also works
// with a plain `pm2 start ecosystem.config.js` once the config exists and `npm run build` ran. Synchronous on purpose:
// PM2 loads it with require(), so it exports a named `apps` and must not use top-level await.
//
// Mode: live when POOLWARDEN_CONFIG names a config file; otherwise the embedded devnet
// (three anvil chains, the market simulator, and the agents on `.devnet/config.json`).
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = dirname(fileURLToPath(import.meta.url))
const devnet = !process.env.POOLWARDEN_CONFIG?.trim()
// The devnet's data (config, store, keys, logs, the start/stop lock) and, when moved, its bundles:
// POOLWARDEN_DEVNET_DIR (default .devnet) lets a second network run beside the first (tests, soak).
const devnetDir = resolve(root, process.env.POOLWARDEN_DEVNET_DIR?.trim() || '.devnet')
const configPath = devnet ? join(devnetDir, 'config.json') : resolve(root, process.env.POOLWARDEN_CONFIG.trim())
const devnetChains = JSON.parse(readFileSync(join(root, 'scripts/devnet-chains.json'), 'utf8'))
const logDir = devnet ? join(devnetDir, 'logs') : join(root, 'logs')
const distDir = devnet && process.env.POOLWARDEN_DEVNET_DIR?.trim() ? join(devnetDir, 'dist') : join(root, 'dist')

/**
 * The devnet's ports: devnet/ports.ts (this file is plain JS for PM2, so the mapping is repeated
 * here; test/devnetPorts.local.test.ts checks that the two agree). POOLWARDEN_DEVNET_PORTS=<base>
 * moves every one of them: anvils base.., hub +10, tx service +11, Bot API +12, guardian +13.
 */
function devnetPorts() {
  const base = Number(process.env.POOLWARDEN_DEVNET_PORTS?.trim() || 0)
  if (!base) return { chains: devnetChains.chains.map((c) => c.port), hub: 3300, txService: 3310 }
  return { chains: devnetChains.chains.map((_, i) => base + i), hub: base + 10, txService: base + 11 }
}
const ports = devnetPorts()

/** The config file as JSON, or {} before it exists (only names are read here; agents validate the whole file). */
function rawConfig() {
  return existsSync(configPath) ? JSON.parse(readFileSync(configPath, 'utf8')) : {}
}

/** Chain names from the config. */
function chainNames() {
  const cfg = rawConfig()
  if (Array.isArray(cfg.chains)) return cfg.chains.map((c) => c.name)
  return devnet ? devnetChains.chains.map((c) => c.name) : []
}

// ── environments: each app gets only what it needs ──────────────────────────────────────────
// PM2 copies the launcher's whole environment into every app unless told otherwise, so a key
// exported for the executor would reach the watchers and the internet-facing bot too. Every app
// below has `filter_env: ['']` (every inherited variable contains "" and is dropped; PM2 7's
// `filter_env: true` is skipped by its own length check) and an explicit `env`: a few harmless
// variables of the launcher, the config path, and — only for the app that uses it — one secret,
// passed as NAME=value (or NAME_FILE=path) from the launcher's environment under the name the
// config gives it (defaults as in config/schema.ts). test/appEnv.local.test.ts proves it.
const cfg = rawConfig()
const secretNames = {
  executorKey: cfg.execution?.keyEnv ?? 'POOLWARDEN_EXECUTOR_KEY',
  voterKey: cfg.governance?.voter?.keyEnv ?? 'POOLWARDEN_VOTER_KEY',
  snapshotApiKey: cfg.governance?.snapshot?.apiKeyEnv ?? 'SNAPSHOT_API_KEY',
  telegramToken: cfg.telegram?.tokenEnv ?? 'POOLWARDEN_TELEGRAM_TOKEN',
  safeApiKey: cfg.custody?.txServiceApiKeyEnv ?? 'SAFE_API_KEY',
  distributorKey: cfg.rewards?.signer?.keyEnv ?? 'POOLWARDEN_DISTRIBUTOR_KEY',
}
/** Variables of the launcher every app may see (no secret among them). */
const HARMLESS = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'LOG_LEVEL']
const pick = (names) => Object.fromEntries(names.filter((n) => process.env[n] !== undefined && process.env[n] !== '').map((n) => [n, process.env[n]]))
/** `NAME` and `NAME_FILE` from the launcher, when set. */
const secret = (name) => pick([name, `${name}_FILE`])
/** Nothing of the launcher's environment is inherited (see above); `env` is all the app gets. */
const isolated = { filter_env: [''] }

// Agents run the esbuild bundles in dist/ (`npm run build`; `npm start` builds them): a bundle
// loads only what the agent uses. PM2 starts node itself as the program (interpreter 'none'), so
// no PM2 wrapper is loaded into the agent, and V8 is told to favour memory over speed: each agent
// stays near 75 MB resident.
export const NODE_FLAGS = ['--max-semi-space-size=1', '--optimize-for-size', '--v8-pool-size=1']
const node = (bundle) => ({ script: process.execPath, interpreter: 'none', args: [...NODE_FLAGS, join(distDir, bundle)] })
const common = {
  cwd: root,
  autorestart: true,
  restart_delay: 2000,
  max_memory_restart: '300M',
  kill_timeout: 5000,
  merge_logs: true,
  time: false,
  ...isolated,
}
// MALLOC_ARENA_MAX: glibc gives every thread that mallocs (libuv's pool: SQLite, crypto, zlib) an
// arena of its own, and each keeps what it once held; two arenas bound that part of RSS.
export const MALLOC_ENV = { MALLOC_ARENA_MAX: '2' }
const agentEnv = { ...pick(HARMLESS), POOLWARDEN_CONFIG: configPath, NODE_ENV: devnet ? 'development' : 'production', ...MALLOC_ENV }
/** The devnet's own processes also take their (non-secret) overrides from the launcher. */
const devnetEnv = {
  ...agentEnv,
  POOLWARDEN_DEPLOYMENT: join(devnetDir, 'deployment.json'),
  POOLWARDEN_HUB_PORT: String(ports.hub),
  POOLWARDEN_HUB_DB: join(devnetDir, 'snapshot-hub.sqlite'),
  ...pick(['POOLWARDEN_DEPLOYMENT', 'POOLWARDEN_SCENARIO_START', 'POOLWARDEN_HUB_PORT', 'POOLWARDEN_HUB_DB']),
}

/**
 * anvil for long runs: no log line per RPC call or block (--quiet: ~30,000 lines in 11 minutes
 * before), and the Cancun rules instead of Prague's: under Prague every block writes its parent's
 * hash into the EIP-2935 history contract, so the state anvil 1.7.1 copies for every block grows
 * with the chain. Measured on the stress devnet (bench/soak.ts, 6 minutes): each anvil grew
 * 13–14 MB/min under Prague, 6–7 MB/min under Cancun. Nothing the devnet runs needs Prague
 * (no EIP-7702, no BLS precompile; PUSH0, MCOPY and transient storage are Shanghai/Cancun).
 * Still not bounded: anvil 1.7.1 (the newest on npm) keeps a per-block cost that none of its
 * flags removes — `--prune-history <N>` and `--transaction-block-keeper <N>` barely change it,
 * the bare `--prune-history` keeps no past state at all (the watcher reads one block behind the
 * head; the distributor reads epoch boundaries). Foundry's fix (structurally shared history
 * snapshots, PR #15715, July 2026) is in no anvil release on npm yet.
 */
const ANVIL_LONG_RUN = ['--quiet', '--hardfork', 'cancun']

/** The devnet's own processes: anvil chains and the market simulator. */
export const devnetApps = devnet
  ? [
      ...devnetChains.chains.map((c, i) => ({
        name: `anvil-${c.name}`,
        script: join(root, 'node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil'),
        interpreter: 'none',
        args: ['--host', '127.0.0.1', '--port', String(ports.chains[i]), '--chain-id', String(c.chainId), '--block-time', String(devnetChains.blockTimeSeconds), '--code-size-limit', '32768', ...ANVIL_LONG_RUN],
        autorestart: false,
        cwd: root,
        ...isolated,
        env: pick(HARMLESS),
      })),
      {
        ...common,
        name: 'simulator',
        ...node('simulator.mjs'),
        env: { ...devnetEnv, POOLWARDEN_SCENARIO: process.env.POOLWARDEN_SCENARIO ?? 'calm' },
      },
      {
        // The local Telegram Bot API server (port from telegram.apiRoot in the devnet config).
        ...common,
        name: 'telegram-api',
        ...node('telegram-api.mjs'),
        env: devnetEnv,
      },
      // The local Snapshot hub on 127.0.0.1:3300 (devnet/snapshot/hub.main.ts) and the scenario's
      // delegators: seed the governance world, then vote on the signalling space over time.
      {
        ...common,
        name: 'snapshot-hub',
        ...node('snapshot-hub.mjs'),
        env: { ...devnetEnv, POOLWARDEN_SCENARIO: process.env.POOLWARDEN_SCENARIO ?? 'calm' },
      },
      // The local Safe Transaction Service on 127.0.0.1:3310 (devnet/safe/txService.main.ts): the
      // api-kit REST paths where committee plans are proposed and confirmed (custody.chains[].txServiceUrl).
      {
        ...common,
        name: 'safe-tx-service',
        ...node('safe-tx-service.mjs'),
        env: { ...devnetEnv, POOLWARDEN_SAFE_TX_SERVICE_DB: join(devnetDir, 'safe-tx-service.sqlite'), POOLWARDEN_SAFE_TX_SERVICE_PORT: String(ports.txService) },
      },
      {
        ...common,
        name: 'delegators',
        ...node('delegators.mjs'),
        env: { ...devnetEnv, POOLWARDEN_SCENARIO: process.env.POOLWARDEN_SCENARIO ?? 'calm' },
      },
      {
        // The local Wormhole guardian: signs and serves VAAs (config wormhole.api, port 7071).
        ...common,
        name: 'guardian',
        ...node('guardian.mjs'),
        env: { ...devnetEnv, POOLWARDEN_GUARDIAN_DB: join(devnetDir, 'guardian.sqlite') },
      },
    ]
  : []

/** The agents: one watcher per chain. */
export const agentApps = chainNames().map((chain) => ({
  ...common,
  name: `watcher-${chain}`,
  ...node('watcher.mjs'),
  env: { ...agentEnv, POOLWARDEN_CHAIN: chain },
}))

agentApps.push(
  {
    ...common,
    name: 'strategist',
    ...node('strategist.mjs'),
    env: agentEnv,
  },
  {
    ...common,
    name: 'executor',
    ...node('executor.mjs'),
    // The only app with the executor's key. Devnet: the pool's key (a well-known anvil key) from
    // a file `npm start` writes; live: the operator's POOLWARDEN_EXECUTOR_KEY or
    // POOLWARDEN_EXECUTOR_KEY_FILE (the name is execution.keyEnv) from the launcher's environment.
    env: devnet
      ? { ...agentEnv, [`${secretNames.executorKey}_FILE`]: join(devnetDir, 'executor.key') }
      : { ...agentEnv, ...secret(secretNames.executorKey), ...pick([secretNames.safeApiKey]) },
  },
  {
    ...common,
    name: 'telegram',
    ...node('telegram.mjs'),
    // The bot's token (the sentinel has it too, to page when the store is stuck). Live:
    // POOLWARDEN_TELEGRAM_TOKEN (or _FILE; the name is telegram.tokenEnv) from the launcher's
    // environment; the devnet needs none.
    env: devnet ? agentEnv : { ...agentEnv, ...secret(secretNames.telegramToken) },
  },
  {
    ...common,
    name: 'governor',
    ...node('governor.mjs'),
    // The only app with the governor's voting key (its own, never the executor's) and the
    // Snapshot API key (live only). Devnet: dev account #10 from a file `npm start` writes; live:
    // POOLWARDEN_VOTER_KEY or POOLWARDEN_VOTER_KEY_FILE (the name is governance.voter.keyEnv).
    env: {
      ...agentEnv,
      ...(devnet ? { [`${secretNames.voterKey}_FILE`]: join(devnetDir, 'voter.key') } : { ...secret(secretNames.voterKey), ...secret(secretNames.snapshotApiKey) }),
    },
  },
  {
    ...common,
    name: 'distributor',
    ...node('distributor.mjs'),
    // The only app with the distributor's key: its own (own nonces; custody "safe": the only member
    // of its own Roles role, rewards.roleKey, allowed only setRoot and the capped funding transfer),
    // never the executor's (the executor's key is not in this env). Devnet: dev account #7 from a
    // file `npm start` writes; live: POOLWARDEN_DISTRIBUTOR_KEY or POOLWARDEN_DISTRIBUTOR_KEY_FILE
    // (the name is rewards.signer.keyEnv).
    env: devnet ? { ...agentEnv, [`${secretNames.distributorKey}_FILE`]: join(devnetDir, 'distributor.key') } : { ...agentEnv, ...secret(secretNames.distributorKey) },
    out_file: join(logDir, 'distributor.log'),
    error_file: join(logDir, 'distributor.log'),
  },
  {
    ...common,
    name: 'web',
    ...node('web.mjs'),
    // The read-only dashboard (config web.host/web.port, 127.0.0.1:3320 by default): no secret.
    env: agentEnv,
    out_file: join(logDir, 'web.log'),
    error_file: join(logDir, 'web.log'),
  },
)

agentApps.push({
  // The Prometheus exporter: GET /metrics on metrics.host:metrics.port (default 127.0.0.1:9464),
  // read from the store. No secret: it reads the store only.
  ...common,
  name: 'metrics',
  ...node('metrics.mjs'),
  env: agentEnv,
  out_file: join(logDir, 'metrics.log'),
  error_file: join(logDir, 'metrics.log'),
}, {
  // The sentinel: watches the other agents (heartbeats, PM2 restart loops through PM2's API —
  // PM2 gives every app its PM2_HOME —, chain heads, watcher lag, sending keys' gas by address,
  // store size, undelivered alerts) and sends the committee's plan notifications. Live, it also
  // gets the bot token (the only secret it holds): when the store takes no write (a process frozen
  // inside a write transaction), it pages the operator chats itself (sentinel/directPage.ts).
  ...common,
  name: 'sentinel',
  ...node('sentinel.mjs'),
  env: devnet ? agentEnv : { ...agentEnv, ...secret(secretNames.telegramToken) },
  out_file: join(logDir, 'sentinel.log'),
  error_file: join(logDir, 'sentinel.log'),
})
// ── logs: one file per app, rotated ─────────────────────────────────────────────────────────
// PM2 writes each app's stdout and stderr to <logDir>/<app>.log and cannot rotate it without the
// pm2-logrotate module. Every node app rotates its own file at write time instead
// (core/logRotate.ts, driven by the logger): past logs.maxBytes the file is copied to .1 (older
// ones shifted, logs.keep kept) and truncated. The anvils run --quiet (no line per RPC call or
// block), so their file holds only what they print when they fail.
const logsConfig = { maxBytes: cfg.logs?.maxBytes ?? 10 * 1024 * 1024, keep: cfg.logs?.keep ?? 3 }
for (const app of [...devnetApps, ...agentApps]) {
  const file = join(logDir, `${app.name}.log`)
  app.out_file = file
  app.error_file = file
  app.env = { ...app.env, POOLWARDEN_LOG_FILE: file, POOLWARDEN_LOG_MAX_BYTES: String(logsConfig.maxBytes), POOLWARDEN_LOG_KEEP: String(logsConfig.keep) }
}

export const apps = [...devnetApps, ...agentApps]
