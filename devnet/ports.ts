/**
 * Where the devnet's processes listen under `npm start`. The defaults are the well-known ports
 * (anvils 8545–8547, Snapshot hub 3300, Safe Transaction Service 3310, Telegram Bot API 8581,
 * Wormhole guardian 7071). `POOLWARDEN_DEVNET_PORTS=<base>` moves all of them together, so a
 * second network (a test, a soak run) can run beside the first: anvils at base, base+1, base+2,
 * hub base+10, tx service base+11, Bot API base+12, guardian base+13.
 * `ecosystem.config.js` (plain JS, loaded by PM2) repeats this mapping; test/devnetPorts.local.test.ts
 * checks that the two agree.
 */

export interface DevnetPorts {
  /** One per devnet chain, in the order of scripts/devnet-chains.json. */
  chains: number[]
  hub: number
  txService: number
  botApi: number
  guardian: number
}

export const DEFAULT_DEVNET_PORTS: DevnetPorts = { chains: [8545, 8546, 8547], hub: 3300, txService: 3310, botApi: 8581, guardian: 7071 }

/** Offsets from the base of `POOLWARDEN_DEVNET_PORTS`. */
export const DEVNET_PORT_OFFSETS = { hub: 10, txService: 11, botApi: 12, guardian: 13 } as const

/**
 * The ports for `env` (default: the process's). `chainCount` chains (default 3). A base that is
 * not a port number (or leaves no room for the +13) throws naming the variable and the fix.
 */
export function devnetPorts(env: Record<string, string | undefined> = process.env, chainCount = 3): DevnetPorts {
  const raw = env.POOLWARDEN_DEVNET_PORTS?.trim()
  if (!raw) return { ...DEFAULT_DEVNET_PORTS, chains: DEFAULT_DEVNET_PORTS.chains.slice(0, chainCount) }
  const base = Number(raw)
  if (!Number.isInteger(base) || base < 1024 || base + DEVNET_PORT_OFFSETS.guardian > 65_535 || chainCount > DEVNET_PORT_OFFSETS.hub) {
    throw new Error(`POOLWARDEN_DEVNET_PORTS: expected a base port between 1024 and ${65_535 - DEVNET_PORT_OFFSETS.guardian}, got "${raw}" (unset it for the default ports)`)
  }
  return {
    chains: Array.from({ length: chainCount }, (_, i) => base + i),
    hub: base + DEVNET_PORT_OFFSETS.hub,
    txService: base + DEVNET_PORT_OFFSETS.txService,
    botApi: base + DEVNET_PORT_OFFSETS.botApi,
    guardian: base + DEVNET_PORT_OFFSETS.guardian,
  }
}

/** Every port of a devnet, named (for "is it free" checks and the stop's sweep). */
export function namedPorts(p: DevnetPorts, chainNames: readonly string[]): Array<{ port: number; what: string }> {
  return [
    ...p.chains.map((port, i) => ({ port, what: `chain ${chainNames[i] ?? i}` })),
    { port: p.hub, what: 'the local Snapshot hub' },
    { port: p.txService, what: 'the local Safe Transaction Service' },
    { port: p.botApi, what: 'the local Telegram Bot API' },
    { port: p.guardian, what: 'the local Wormhole guardian' },
  ]
}
