import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

/**
 * One key, one job: every PM2 app of ecosystem.config.js is started under a real, private PM2
 * daemon from a launcher whose environment holds every secret (and an unrelated one), and the
 * environment each process really got is read from /proc/<pid>/environ. Only the app that uses a
 * secret may have it: the executor its key, the governor its voting key and the Snapshot API key,
 * the distributor its own key (never the executor's), the bot its token (and the sentinel, which
 * pages directly when the store is stuck); the watchers, the strategist and the devnet's processes none.
 */

const ROOT = join(import.meta.dirname, '..')
const SECRETS = {
  POOLWARDEN_EXECUTOR_KEY: '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  POOLWARDEN_VOTER_KEY_FILE: '/run/secrets/voter-key-file-path',
  POOLWARDEN_TELEGRAM_TOKEN: '123456:secret-bot-token',
  SNAPSHOT_API_KEY: 'secret-snapshot-api-key',
  POOLWARDEN_DISTRIBUTOR_KEY: '0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356',
  // Not one of poolwarden's: no app may inherit it.
  AWS_SECRET_ACCESS_KEY: 'secret-unrelated-cloud-key',
  // The old single key name: nothing reads it any more, nothing may receive it.
  POOLWARDEN_SIGNER_KEY: '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
}
type Envs = Record<string, Record<string, string>>

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pw-appenv-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** Runs the probe with the launcher's environment `env` (plus a private PM2_HOME); the apps' environments. */
function probe(name: string, env: Record<string, string>): Promise<Envs> {
  const pm2Home = join(dir, `${name}-pm2`)
  const logs = join(dir, `${name}-logs`)
  const launcher = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? dir, PM2_HOME: pm2Home, PROBE_LOG_DIR: logs, ...env }
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', join(ROOT, 'test/fixtures/appEnvProbe.ts')], { cwd: ROOT, env: launcher, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`probe failed: ${err.message}\n${stderr}`))
      const line = stdout.trim().split('\n').at(-1) ?? ''
      resolve(JSON.parse(line) as Envs)
    })
  })
}

/** The secrets (by launcher variable name) whose value appears anywhere in an app's environment. */
const secretsIn = (env: Record<string, string>) =>
  Object.entries(SECRETS)
    .filter(([, value]) => Object.values(env).some((v) => v.includes(value)))
    .map(([name]) => name)
    .sort()

describe('app environments under PM2 (real daemon, /proc/<pid>/environ)', { timeout: 120_000 }, () => {
  it('live mode: each secret reaches only the app that uses it; nothing else is inherited from the launcher', async () => {
    const config = join(dir, 'live.json')
    // Only what ecosystem.config.js reads: chain names (one watcher each); key names are the defaults.
    await writeFile(config, JSON.stringify({ chains: [{ name: 'ethereum' }, { name: 'arbitrum' }, { name: 'base' }] }))
    const envs = await probe('live', { ...SECRETS, POOLWARDEN_CONFIG: config })
    expect(Object.keys(envs).sort()).toEqual(['distributor', 'executor', 'governor', 'metrics', 'sentinel', 'strategist', 'telegram', 'watcher-arbitrum', 'watcher-base', 'watcher-ethereum', 'web'])
    const found = Object.fromEntries(Object.entries(envs).map(([app, env]) => [app, secretsIn(env)]))
    expect(found).toEqual({
      executor: ['POOLWARDEN_EXECUTOR_KEY'],
      distributor: ['POOLWARDEN_DISTRIBUTOR_KEY'],
      governor: ['POOLWARDEN_VOTER_KEY_FILE', 'SNAPSHOT_API_KEY'],
      telegram: ['POOLWARDEN_TELEGRAM_TOKEN'],
      strategist: [],
      metrics: [],
      // The sentinel pages the operators itself when the store takes no write (sentinel/directPage.ts).
      sentinel: ['POOLWARDEN_TELEGRAM_TOKEN'],
      'watcher-ethereum': [],
      'watcher-arbitrum': [],
      'watcher-base': [],
      web: [],
    })
    // Under the names the agents read, and the launcher's other variables are not there.
    expect(envs.executor!.POOLWARDEN_EXECUTOR_KEY).toBe(SECRETS.POOLWARDEN_EXECUTOR_KEY)
    expect(envs.governor!.POOLWARDEN_VOTER_KEY_FILE).toBe(SECRETS.POOLWARDEN_VOTER_KEY_FILE)
    expect(envs.telegram!.POOLWARDEN_TELEGRAM_TOKEN).toBe(SECRETS.POOLWARDEN_TELEGRAM_TOKEN)
    expect(envs.sentinel!.POOLWARDEN_TELEGRAM_TOKEN).toBe(SECRETS.POOLWARDEN_TELEGRAM_TOKEN)
    // The sentinel reads PM2's process list: PM2 gives it the daemon's home.
    expect(envs.sentinel!.PM2_HOME).toBe(join(dir, 'live-pm2'))
    for (const env of Object.values(envs)) {
      expect(env.POOLWARDEN_CONFIG).toBe(config)
      // The launcher's own variables stay with the launcher (PM2 adds its PM2_HOME itself).
      expect(env.PROBE_LOG_DIR).toBeUndefined()
    }
  })

  it('the distributor: its key (here a file under a configured name) reaches it alone; the executor\'s key — plain or as a file — never reaches it; a moved devnet\'s distributor key file is that devnet\'s', async () => {
    const config = join(dir, 'live-distributor.json')
    await writeFile(config, JSON.stringify({ chains: [{ name: 'ethereum' }], rewards: { signer: { keyEnv: 'POOL_REWARDS_KEY' } } }))
    const launcher = {
      POOLWARDEN_CONFIG: config,
      POOLWARDEN_EXECUTOR_KEY: SECRETS.POOLWARDEN_EXECUTOR_KEY,
      POOLWARDEN_EXECUTOR_KEY_FILE: '/run/secrets/executor-key-file-path',
      POOL_REWARDS_KEY_FILE: '/run/secrets/distributor-key-file-path',
      // The default name is not the configured one: nobody gets it.
      POOLWARDEN_DISTRIBUTOR_KEY: SECRETS.POOLWARDEN_DISTRIBUTOR_KEY,
    }
    const envs = await probe('distributor', launcher)
    const holders = (value: string) => Object.entries(envs).filter(([, env]) => Object.values(env).some((v) => v.includes(value))).map(([app]) => app)
    expect(holders('/run/secrets/distributor-key-file-path')).toEqual(['distributor'])
    expect(envs.distributor!.POOL_REWARDS_KEY_FILE).toBe('/run/secrets/distributor-key-file-path')
    expect(holders(SECRETS.POOLWARDEN_EXECUTOR_KEY)).toEqual(['executor'])
    expect(holders('/run/secrets/executor-key-file-path')).toEqual(['executor'])
    expect(holders(SECRETS.POOLWARDEN_DISTRIBUTOR_KEY)).toEqual([])
    expect(Object.keys(envs.distributor!).filter((k) => /KEY|TOKEN|SECRET/.test(k))).toEqual(['POOL_REWARDS_KEY_FILE'])

    // A second devnet beside the first (POOLWARDEN_DEVNET_DIR): the distributor reads that devnet's key file.
    const moved = await probe('devnet-moved', { POOLWARDEN_DEVNET_DIR: join(dir, 'other-devnet'), ...SECRETS })
    expect(moved.distributor!.POOLWARDEN_DISTRIBUTOR_KEY_FILE).toBe(join(dir, 'other-devnet', 'distributor.key'))
    expect(moved.executor!.POOLWARDEN_EXECUTOR_KEY_FILE).toBe(join(dir, 'other-devnet', 'executor.key'))
    expect(Object.keys(moved.distributor!).filter((k) => /KEY|TOKEN|SECRET/.test(k))).toEqual(['POOLWARDEN_DISTRIBUTOR_KEY_FILE'])
  })

  it('devnet mode: the executor gets its key file, the governor its own voting key file; no app gets a launcher secret', async () => {
    const envs = await probe('devnet', { ...SECRETS })
    expect(Object.keys(envs)).toEqual(expect.arrayContaining(['anvil-ethereum', 'simulator', 'snapshot-hub', 'safe-tx-service', 'delegators', 'guardian', 'telegram-api', 'strategist', 'executor', 'governor', 'telegram', 'distributor', 'web', 'metrics', 'sentinel']))
    expect(envs.distributor!.POOLWARDEN_DISTRIBUTOR_KEY_FILE).toBe(join(ROOT, '.devnet/distributor.key'))
    expect(envs.executor!.POOLWARDEN_EXECUTOR_KEY_FILE).toBe(join(ROOT, '.devnet/executor.key'))
    expect(envs.governor!.POOLWARDEN_VOTER_KEY_FILE).toBe(join(ROOT, '.devnet/voter.key'))
    for (const [app, env] of Object.entries(envs)) {
      expect([app, secretsIn(env)]).toEqual([app, []])
      const keyFiles = Object.keys(env).filter((k) => /_KEY(_FILE)?$|TOKEN/.test(k))
      expect([app, keyFiles]).toEqual([app, app === 'executor' ? ['POOLWARDEN_EXECUTOR_KEY_FILE'] : app === 'governor' ? ['POOLWARDEN_VOTER_KEY_FILE'] : app === 'distributor' ? ['POOLWARDEN_DISTRIBUTOR_KEY_FILE'] : []])
    }
  })
})
