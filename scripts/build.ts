/**
 * Bundles the PM2 apps into dist/ with esbuild: one ESM file per app, tree-shaken, so each agent
 * process loads only what it runs (about 85 MB resident instead of ~160 MB under tsx).
 * Files the modules read at run time beside themselves are copied next to the bundles.
 */
import { cpSync } from 'node:fs'
import { join } from 'node:path'
import { bundle } from './lib/bundle'
import { ROOT } from './lib/pm2'
import { quietOnClosedPipe } from './lib/cli'

export const BUNDLES = {
  watcher: 'agents/watcher.ts',
  strategist: 'agents/strategist.ts',
  executor: 'agents/executor.ts',
  governor: 'agents/governor.ts',
  distributor: 'agents/distributor.ts',
  simulator: 'devnet/simulator.main.ts',
  telegram: 'agents/telegram.ts',
  metrics: 'agents/metrics.ts',
  sentinel: 'agents/sentinel.ts',
  'telegram-api': 'devnet/telegram/main.ts',
  'snapshot-hub': 'devnet/snapshot/hub.main.ts',
  'safe-tx-service': 'devnet/safe/txService.main.ts',
  delegators: 'devnet/governance/delegators.main.ts',
  guardian: 'devnet/wormhole/guardian.main.ts',
  web: 'agents/web.ts',
} as const

/** Bundles every app into `out` (default dist/; a moved devnet builds into its own directory, which must be inside the project). */
export async function buildApps(out = join(ROOT, 'dist')): Promise<void> {
  await bundle(BUNDLES, out)
  cpSync(join(ROOT, 'devnet/scenarios'), join(out, 'scenarios'), { recursive: true })
  // The dashboard's own CSS and chart script (web/server.ts looks for them beside the bundle).
  cpSync(join(ROOT, 'web/static'), join(out, 'web-static'), { recursive: true })
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  quietOnClosedPipe()
  const t0 = Date.now()
  buildApps().then(
    () => console.log(`built dist/ in ${Date.now() - t0} ms`),
    (err) => {
      console.error(err)
      process.exit(1)
    },
  )
}
