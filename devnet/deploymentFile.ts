import { readFile } from 'node:fs/promises'
import { defineChain, type Chain } from 'viem'
import { MULTICALL3_ADDRESS } from '../venues/abis'
import type { Deployment, SimVenue } from './deploy'

/**
 * Reads the deployment `npm start` wrote. Its own module (deploy.ts re-exports what is here) so the
 * devnet's services that only read the file — the hub, the delegators, the simulator, the Safe tx service —
 * do not bundle the deployer (viem's wallet side, protocol-kit, zodiac-roles-sdk, Wormhole setup):
 * each of those processes is ~10 MB smaller for it (see bench/soak.ts).
 */
export async function readDeployment(file = '.devnet/deployment.json'): Promise<Deployment> {
  let json: unknown
  try {
    json = JSON.parse(await readFile(file, 'utf8'))
  } catch (err) {
    throw new Error(`cannot read the devnet deployment ${file}: ${(err as Error).message} (start the devnet first: npm start)`)
  }
  const d = json as Deployment
  if (d?.version !== 1 || typeof d.chains !== 'object') throw new Error(`${file}: not a devnet deployment (version ${String(d?.version)})`)
  return d
}

/** A viem chain for a devnet chain (Multicall3 at its canonical address). */
export function devnetChain(spec: { name: string; chainId: number; url: string }): Chain {
  return defineChain({
    id: spec.chainId,
    name: spec.name,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [spec.url] } },
    contracts: { multicall3: { address: MULTICALL3_ADDRESS } },
  })
}

/** Every simulated venue of the deployment. */
export function simVenues(deployment: Deployment): SimVenue[] {
  return Object.values(deployment.chains).flatMap((c) => c.venues)
}
