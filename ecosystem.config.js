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
const configPath = resolve(root, process.env.POOLWARDEN_CONFIG?.trim() || '.devnet/config.json')
const devnetChains = JSON.parse(readFileSync(join(root, 'scripts/devnet-chains.json'), 'utf8'))
const logDir = join(root, devnet ? '.devnet/logs' : 'logs')

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
const NODE_FLAGS = ['--max-semi-space-size=1', '--optimize-for-size', '--v8-pool-size=1']
const node = (bundle) => ({ script: process.execPath, interpreter: 'none', args: [...NODE_FLAGS, join(root, 'dist', bundle)] })
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
const agentEnv = { ...pick(HARMLESS), POOLWARDEN_CONFIG: configPath, NODE_ENV: devnet ? 'development' : 'production' }
/** The devnet's own processes also take their (non-secret) overrides from the launcher. */
const devnetEnv = { ...agentEnv, ...pick(['POOLWARDEN_DEPLOYMENT', 'POOLWARDEN_SCENARIO_START', 'POOLWARDEN_HUB_PORT', 'POOLWARDEN_HUB_DB']) }

/** The devnet's own processes: anvil chains and the market simulator. */
export const devnetApps = devnet
  ? [
      ...devnetChains.chains.map((c) => ({
        name: `anvil-${c.name}`,
        script: join(root, 'node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil'),
        interpreter: 'none',
        args: ['--host', '127.0.0.1', '--port', String(c.port), '--chain-id', String(c.chainId), '--block-time', String(devnetChains.blockTimeSeconds), '--code-size-limit', '32768'],
        autorestart: false,
        cwd: root,
        ...isolated,
        env: pick(HARMLESS),
        out_file: join(logDir, `anvil-${c.name}.log`),
        error_file: join(logDir, `anvil-${c.name}.log`),
      })),
      {
        ...common,
        name: 'simulator',
        ...node('simulator.mjs'),
        env: { ...devnetEnv, POOLWARDEN_SCENARIO: process.env.POOLWARDEN_SCENARIO ?? 'calm' },
        out_file: join(logDir, 'simulator.log'),
        error_file: join(logDir, 'simulator.log'),
      },
      {
        // The local Telegram Bot API server (port from telegram.apiRoot in the devnet config).
        ...common,
        name: 'telegram-api',
        ...node('telegram-api.mjs'),
        env: devnetEnv,
        out_file: join(logDir, 'telegram-api.log'),
        error_file: join(logDir, 'telegram-api.log'),
      },
      // The local Snapshot hub on 127.0.0.1:3300 (devnet/snapshot/hub.main.ts) and the scenario's
      // delegators: seed the governance world, then vote on the signalling space over time.
      {
        ...common,
        name: 'snapshot-hub',
        ...node('snapshot-hub.mjs'),
        env: { ...devnetEnv, POOLWARDEN_SCENARIO: process.env.POOLWARDEN_SCENARIO ?? 'calm' },
        out_file: join(logDir, 'snapshot-hub.log'),
        error_file: join(logDir, 'snapshot-hub.log'),
      },
      // The local Safe Transaction Service on 127.0.0.1:3310 (devnet/safe/txService.main.ts): the
      // api-kit REST paths where committee plans are proposed and confirmed (custody.chains[].txServiceUrl).
      {
        ...common,
        name: 'safe-tx-service',
        ...node('safe-tx-service.mjs'),
        env: { ...devnetEnv, POOLWARDEN_SAFE_TX_SERVICE_DB: join(root, '.devnet/safe-tx-service.sqlite') },
        out_file: join(logDir, 'safe-tx-service.log'),
        error_file: join(logDir, 'safe-tx-service.log'),
      },
      {
        ...common,
        name: 'delegators',
        ...node('delegators.mjs'),
        env: { ...devnetEnv, POOLWARDEN_SCENARIO: process.env.POOLWARDEN_SCENARIO ?? 'calm' },
        out_file: join(logDir, 'delegators.log'),
        error_file: join(logDir, 'delegators.log'),
      },
      {
        // The local Wormhole guardian: signs and serves VAAs (config wormhole.api, port 7071).
        ...common,
        name: 'guardian',
        ...node('guardian.mjs'),
        env: { ...devnetEnv, POOLWARDEN_GUARDIAN_DB: join(root, '.devnet/guardian.sqlite') },
        out_file: join(logDir, 'guardian.log'),
        error_file: join(logDir, 'guardian.log'),
      },
    ]
  : []

/** The agents: one watcher per chain. */
export const agentApps = chainNames().map((chain) => ({
  ...common,
  name: `watcher-${chain}`,
  ...node('watcher.mjs'),
  env: { ...agentEnv, POOLWARDEN_CHAIN: chain },
  out_file: join(logDir, `watcher-${chain}.log`),
  error_file: join(logDir, `watcher-${chain}.log`),
}))

agentApps.push(
  {
    ...common,
    name: 'strategist',
    ...node('strategist.mjs'),
    env: agentEnv,
    out_file: join(logDir, 'strategist.log'),
    error_file: join(logDir, 'strategist.log'),
  },
  {
    ...common,
    name: 'executor',
    ...node('executor.mjs'),
    // The only app with the executor's key. Devnet: the pool's key (a well-known anvil key) from
    // a file `npm start` writes; live: the operator's POOLWARDEN_EXECUTOR_KEY or
    // POOLWARDEN_EXECUTOR_KEY_FILE (the name is execution.keyEnv) from the launcher's environment.
    env: devnet
      ? { ...agentEnv, [`${secretNames.executorKey}_FILE`]: join(root, '.devnet/executor.key') }
      : { ...agentEnv, ...secret(secretNames.executorKey), ...pick([secretNames.safeApiKey]) },
    out_file: join(logDir, 'executor.log'),
    error_file: join(logDir, 'executor.log'),
  },
  {
    ...common,
    name: 'telegram',
    ...node('telegram.mjs'),
    // The only app with the bot token. Live: POOLWARDEN_TELEGRAM_TOKEN (or _FILE; the name is
    // telegram.tokenEnv) from the launcher's environment; the devnet needs none.
    env: devnet ? agentEnv : { ...agentEnv, ...secret(secretNames.telegramToken) },
    out_file: join(logDir, 'telegram.log'),
    error_file: join(logDir, 'telegram.log'),
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
      ...(devnet ? { [`${secretNames.voterKey}_FILE`]: join(root, '.devnet/voter.key') } : { ...secret(secretNames.voterKey), ...secret(secretNames.snapshotApiKey) }),
    },
    out_file: join(logDir, 'governor.log'),
    error_file: join(logDir, 'governor.log'),
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
  // store size, undelivered alerts) and sends the committee's plan notifications. No secret.
  ...common,
  name: 'sentinel',
  ...node('sentinel.mjs'),
  env: agentEnv,
  out_file: join(logDir, 'sentinel.log'),
  error_file: join(logDir, 'sentinel.log'),
})

export const apps = [...devnetApps, ...agentApps]
