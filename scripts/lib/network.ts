/**
 * Where one poolwarden network lives: its PM2 home, its devnet directory (config, store, keys,
 * logs, the start/stop lock; POOLWARDEN_DEVNET_DIR, default .devnet), its bundles and its ports
 * (POOLWARDEN_DEVNET_PORTS, devnet/ports.ts). `npm start`, `npm stop` and the fault cases agree
 * on these through this one module.
 */
import { readFileSync } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'
import { devnetPorts, namedPorts, type DevnetPorts } from '../../devnet/ports'
import { ROOT } from './pm2'

export interface DevnetChainsFile {
  chains: Array<{ name: string; chainId: number; port: number }>
  blockTimeSeconds: number
}

export interface Network {
  root: string
  live: boolean
  pm2Home: string
  /** The devnet's data directory (absolute). */
  devnetDir: string
  /** POOLWARDEN_DEVNET_DIR as given (undefined = the default .devnet). */
  devnetDirEnv: string | undefined
  distDir: string
  lockFile: string
  chainsFile: DevnetChainsFile
  ports: DevnetPorts
  /** Every port of the devnet, named (empty in live mode: nothing of ours listens). */
  named: Array<{ port: number; what: string }>
}

export function network(env: Record<string, string | undefined> = process.env): Network {
  const live = Boolean(env.POOLWARDEN_CONFIG?.trim())
  const devnetDirEnv = env.POOLWARDEN_DEVNET_DIR?.trim() || undefined
  const devnetDir = devnetDirEnv ? (isAbsolute(devnetDirEnv) ? devnetDirEnv : resolve(ROOT, devnetDirEnv)) : join(ROOT, '.devnet')
  const chainsFile = JSON.parse(readFileSync(join(ROOT, 'scripts/devnet-chains.json'), 'utf8')) as DevnetChainsFile
  const ports = devnetPorts(env, chainsFile.chains.length)
  return {
    root: ROOT,
    live,
    pm2Home: env.PM2_HOME ?? join(ROOT, '.pm2'),
    devnetDir,
    devnetDirEnv,
    distDir: !live && devnetDirEnv ? join(devnetDir, 'dist') : join(ROOT, 'dist'),
    lockFile: live ? join(ROOT, 'logs', 'run.lock') : join(devnetDir, 'run.lock'),
    chainsFile,
    ports,
    named: live ? [] : namedPorts(ports, chainsFile.chains.map((c) => c.name)),
  }
}
