/**
 * `npm run transfers -- list [--state s] [--limit n] | show <id> | release <id> --as <operator>`
 *
 * list     the Wormhole transfers, newest first (state, chains, amount, attempts, held or not)
 * show     one transfer with its source tx, sequence, VAA and last error
 * release  a transfer the executor left for a person (a redeem that failed
 *          execution.redeemMaxAttempts times): the hold is cleared and the executor retries with a
 *          fresh budget. `--as` names a configured Telegram user with the operator role (the same
 *          people who may /release in Telegram); the release and its audit row are one store
 *          transaction (execution/releaseTransfer.ts).
 */
import { parseArgs } from 'node:util'
import { loadConfig } from '../config/load'
import type { Config } from '../config/schema'
import { UsageError } from '../core/errors'
import { createLogger } from '../core/logger'
import { releaseTransfer } from '../execution/releaseTransfer'
import { openStore, TRANSFER_STATES, type Store, type Transfer, type TransferState } from '../store'
import { runCli } from './lib/cli'

const USAGE = 'usage: npm run transfers -- list [--state <state>] [--limit n] | show <id> | release <id> --as <operator>'
const ID = /^[A-Za-z0-9:_-]{1,100}$/

/** The operators who may release (configured Telegram users with the operator role). */
export function operatorsOf(config: Config): string[] {
  return config.telegram.users.filter((u) => u.role === 'operator').map((u) => u.name)
}

async function main() {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { as: { type: 'string' }, state: { type: 'string' }, limit: { type: 'string' } } })
  const [cmd, id] = positionals
  if (!cmd) throw new UsageError(USAGE)
  if (id !== undefined && !ID.test(id)) throw new UsageError(`transfer id ${JSON.stringify(id.slice(0, 40))}: not a transfer id (letters, digits, - : _ only; npm run transfers -- list shows them)`)
  const config = loadConfig()
  if (cmd === 'release') {
    if (!id) throw new UsageError(`release: which transfer? ${USAGE}`)
    const ops = operatorsOf(config)
    if (!values.as) throw new UsageError(`release: --as <operator> is required (operators: ${ops.join(', ') || 'none configured: add a telegram.users entry with role "operator"'})`)
    if (!ops.includes(values.as)) throw new UsageError(`release: --as ${JSON.stringify(values.as)} is not an operator (operators: ${ops.join(', ') || 'none configured: add a telegram.users entry with role "operator"'})`)
  }
  let state: TransferState | undefined
  if (values.state !== undefined) {
    if (!(TRANSFER_STATES as readonly string[]).includes(values.state)) throw new UsageError(`--state ${JSON.stringify(values.state)}: one of ${TRANSFER_STATES.join(', ')}`)
    state = values.state as TransferState
  }
  const limit = Number(values.limit ?? 20)
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit ${JSON.stringify(values.limit)}: a whole number of at least 1`)
  const store = await openStore({ path: config.store.path, logger: createLogger({ cli: 'transfers' }, 'warn') })
  try {
    switch (cmd) {
      case 'list':
        return await list(store, state, limit)
      case 'show': {
        if (!id) throw new UsageError(`show: which transfer? ${USAGE}`)
        const t = await store.transfers.get(id)
        if (!t) throw new UsageError(`no transfer "${id}": npm run transfers -- list shows them`)
        for (const [k, v] of Object.entries(t)) console.log(`${k.padEnd(12)} ${v === null ? '—' : String(v)}`)
        return
      }
      case 'release': {
        const r = await releaseTransfer(store, { id: id!, by: values.as!, via: 'cli' })
        console.log(r.message)
        return r.outcome === 'released' ? 0 : 2
      }
      default:
        throw new UsageError(`unknown command "${cmd}": ${USAGE}`)
    }
  } finally {
    await store.close()
  }
}

/** One line of `list` (pure). */
export function transferLine(t: Transfer): string {
  const held = t.heldReason ? 'HELD' : ''
  return [t.id.padEnd(28), t.state.padEnd(11), `${t.sourceChain}→${t.destChain}`.padEnd(20), String(t.amount).padStart(26), String(t.attempts).padStart(8), held.padEnd(4), new Date(t.updatedAt).toISOString()].join('  ')
}

async function list(store: Store, state: TransferState | undefined, limit: number) {
  const rows = await store.transfers.list({ ...(state ? { state } : {}), limit })
  if (rows.length === 0) return console.log(state ? `no ${state} transfers` : 'no transfers yet')
  console.log(['ID'.padEnd(28), 'STATE'.padEnd(11), 'ROUTE'.padEnd(20), 'AMOUNT (raw)'.padStart(26), 'ATTEMPTS', 'HELD', 'UPDATED'].join('  '))
  for (const t of rows) {
    console.log(transferLine(t))
    if (t.heldReason) console.log(`  held: ${t.heldReason}`)
  }
}

runCli('transfers', main, { usage: USAGE })
