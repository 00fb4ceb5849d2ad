/**
 * Child process for store/db.local.test.ts: opens the store at argv[2] and writes concurrently with
 * its siblings (audit rows, alerts with shared and own keys, samples). Exits non-zero on error.
 */
import { openStore } from '../db.js'

const [path, name, countArg] = process.argv.slice(2)
if (!path || !name || !countArg) throw new Error('usage: concurrent-writer <path> <name> <count>')
const count = Number(countArg)

const store = await openStore({ path })
try {
  for (let i = 0; i < count; i++) {
    await store.audit.append({ actor: name, action: 'write', detail: { i } })
    await store.alerts.raise({ dedupKey: `shared:${i}`, agent: name, rule: 'test', subject: `s${i}`, severity: 'info', title: `shared ${i}` })
    await store.transaction(async (tx) => {
      await tx.samples.insertMany([
        { venueId: `v-${name}`, chain: 'c', blockNumber: BigInt(i), blockHash: '0x01', blockTime: i, available: true, exchangeRate: 10n ** 18n },
        { venueId: 'v-shared', chain: 'c', blockNumber: BigInt(i), blockHash: '0x01', blockTime: i, available: true },
      ])
      await tx.heartbeats.beat(name, { i })
    })
  }
} finally {
  await store.close()
}
