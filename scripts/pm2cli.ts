/** `npm run pm2 -- <args>`: the PM2 CLI on the project's own PM2 home (e.g. `npm run pm2 -- logs`). */
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { ROOT } from './lib/pm2'

const r = spawnSync(join(ROOT, 'node_modules/.bin/pm2'), process.argv.slice(2), { stdio: 'inherit', env: process.env })
process.exit(r.status ?? 1)
