import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { devnetPorts } from '../devnet/ports'

/**
 * ecosystem.config.js is plain JS (PM2 loads it) and repeats devnet/ports.ts's mapping: the two
 * must agree, and every app must write a rotated log into the devnet directory.
 */
const ROOT = join(import.meta.dirname, '..')
const saved = { ...process.env }
afterEach(() => {
  process.env = { ...saved }
})

async function ecosystem(env: Record<string, string | undefined>) {
  process.env = { ...saved, ...env }
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k]
  // A fresh module each time: it reads the environment when loaded.
  return (await import(`${join(ROOT, 'ecosystem.config.js')}?t=${Date.now()}-${Math.random()}`)) as { devnetApps: App[]; agentApps: App[] }
}
interface App {
  name: string
  args?: string[]
  out_file: string
  error_file: string
  env: Record<string, string>
}

describe('ecosystem.config.js and devnet/ports.ts', () => {
  it('put the anvils, the hub and the Safe tx service on the same moved ports', async () => {
    const env = { POOLWARDEN_DEVNET_PORTS: '23400', POOLWARDEN_DEVNET_DIR: '.devnet/ports-test', POOLWARDEN_CONFIG: undefined }
    const eco = await ecosystem(env)
    const p = devnetPorts(env)
    const anvils = eco.devnetApps.filter((a) => a.name.startsWith('anvil-'))
    expect(anvils.map((a) => Number(a.args![a.args!.indexOf('--port') + 1]))).toEqual(p.chains)
    expect(eco.devnetApps.find((a) => a.name === 'snapshot-hub')!.env.POOLWARDEN_HUB_PORT).toBe(String(p.hub))
    expect(eco.devnetApps.find((a) => a.name === 'safe-tx-service')!.env.POOLWARDEN_SAFE_TX_SERVICE_PORT).toBe(String(p.txService))
  })

  it('the default ports without the variable', async () => {
    const eco = await ecosystem({ POOLWARDEN_DEVNET_PORTS: undefined, POOLWARDEN_DEVNET_DIR: undefined, POOLWARDEN_CONFIG: undefined })
    const anvils = eco.devnetApps.filter((a) => a.name.startsWith('anvil-'))
    expect(anvils.map((a) => Number(a.args![a.args!.indexOf('--port') + 1]))).toEqual(devnetPorts({}).chains)
    expect(eco.devnetApps.find((a) => a.name === 'snapshot-hub')!.env.POOLWARDEN_HUB_PORT).toBe('3300')
  })

  it('every app logs to <devnet dir>/logs/<app>.log, rotated (file, size and count in its env); anvils quiet', async () => {
    const eco = await ecosystem({ POOLWARDEN_DEVNET_PORTS: '23400', POOLWARDEN_DEVNET_DIR: '.devnet/ports-test', POOLWARDEN_CONFIG: undefined })
    const apps = [...eco.devnetApps, ...eco.agentApps]
    expect(apps.length).toBeGreaterThan(10)
    for (const a of apps) {
      const file = join(ROOT, '.devnet/ports-test/logs', `${a.name}.log`)
      expect(a.out_file).toBe(file)
      expect(a.error_file).toBe(file)
      expect(a.env.POOLWARDEN_LOG_FILE).toBe(file)
      expect(Number(a.env.POOLWARDEN_LOG_MAX_BYTES)).toBeGreaterThan(0)
      expect(Number(a.env.POOLWARDEN_LOG_KEEP)).toBeGreaterThan(0)
    }
    for (const a of eco.devnetApps.filter((x) => x.name.startsWith('anvil-'))) {
      expect(a.args).toContain('--quiet')
    }
  })
})
