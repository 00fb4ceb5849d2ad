/** `npm run status`: venues × chains (APY, TVL, utilisation, peg, pool position, last block, age) and open alerts, from the store. */
import { loadConfig } from '../config/load'
import { runCli } from './lib/cli'
import { openStore } from '../store'
import { buildStatus, renderStatus } from '../watch/statusReport'
import { buildBridgeStatus, renderBridgeStatus } from '../execution/bridgeStatus'

async function main() {
  const config = loadConfig()
  const store = await openStore({ path: config.store.path })
  try {
    console.log(renderStatus(await buildStatus(config, store)))
    if (config.wormhole) console.log(`\n${renderBridgeStatus(await buildBridgeStatus(config, store))}`)
  } finally {
    await store.close()
  }
}

runCli('status', main, { usage: 'usage: npm run status — venues × chains, open alerts and agents, from the store (POOLWARDEN_CONFIG names the config)' })
