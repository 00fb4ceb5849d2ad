import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { startBotApi, type BotApiServer } from '../devnet/telegram/botApi'
import { openStore, type Store } from '../store'
import { tempDir } from '../store/testing'
import type { Alert } from '../store/types'
import { createTelegramBot } from '../telegram/bot'
import { createAlertDelivery } from '../telegram/delivery'
import { OPS_CHAT, silentLogger, testConfig } from '../telegram/testing'
import { startAgentProcess, until, type AgentProcess } from '../test/agentProcess'
import { useDevnet } from '../test/devnet'
import { heartbeatKey } from './rules'

/**
 * The sentinel as a real process watching a real watcher process on the devnet: SIGSTOP the
 * watcher and exactly one alert is written, however many rounds the sentinel runs; SIGCONT it and
 * the watcher beats again and exactly one recovery follows. Both rows reach Telegram through the
 * telegram agent's delivery (a local Bot API server).
 */
const devnet = useDevnet()
const procs: AgentProcess[] = []
let store: Store | undefined
let botApi: BotApiServer | undefined
let cleanup: (() => Promise<void>) | undefined
afterEach(async (ctx) => {
  // On a failure, the agents' own words say where it stopped.
  if (ctx.task.result?.state === 'fail') for (const p of procs) console.error(p.output().slice(-3000))
  for (const p of procs.splice(0)) await p.stop()
  await store?.close()
  await botApi?.close()
  await cleanup?.()
  store = botApi = cleanup = undefined
})

const rounds = async (s: Store, agent: string): Promise<number> => ((await s.heartbeats.get(agent))?.info as { rounds?: { n: number } } | undefined)?.rounds?.n ?? 0
const rowsOf = (alerts: Alert[], key: string) => alerts.filter((a) => a.dedupKey === key).sort((a, b) => a.id - b.id)

it('SIGSTOP a watcher: one alert; SIGCONT: it beats again and one recovery; both reach Telegram', async () => {
  const tmp = await tempDir('poolwarden-sentinel-')
  cleanup = tmp.cleanup
  const storePath = join(tmp.dir, 'poolwarden.sqlite')
  const configPath = join(tmp.dir, 'config.json')
  writeFileSync(
    configPath,
    JSON.stringify({
      ...devnet.config,
      store: { path: storePath },
      watch: { ...devnet.config.watch, backfillWindow: false },
      telegram: { enabled: false },
      // Only the heartbeat rule can fire here: the other chains are not mined and the stopped
      // watcher falls behind, so their thresholds are set out of reach.
      // minStaleSeconds well above a busy machine's scheduling stalls: the alert is waited for, so a
      // longer threshold costs seconds, never a flake.
      sentinel: { everyMs: 200, heartbeat: { stalePeriods: 3, minStaleSeconds: 10 }, chains: { stallBlocks: 100_000, minStallSeconds: 86_400, maxLagSeconds: 86_400 } },
    }),
  )
  store = await openStore({ path: storePath })
  const env = { POOLWARDEN_CONFIG: configPath, PM2_HOME: join(tmp.dir, 'no-pm2') }
  const watcher = startAgentProcess('watcher', { ...env, POOLWARDEN_CHAIN: 'ethereum' })
  procs.push(watcher)
  let mining = true
  let firstId = 0
  const miner = (async () => {
    while (mining) {
      await devnet.mine('ethereum', 1)
      await new Promise((r) => setTimeout(r, 250))
    }
  })()
  try {
    await until(async () => (await store!.heartbeats.get('watcher-ethereum')) !== undefined)
    const sentinel = startAgentProcess('sentinel', env)
    procs.push(sentinel)
    await until(async () => (await rounds(store!, 'sentinel')) >= 3)
    const key = heartbeatKey('watcher-ethereum')
    // A loaded machine may have starved the watcher already (a true alert, and its recovery): start
    // from a beating watcher and count only the rows written from the SIGSTOP on.
    await until(async () => !(await store!.alerts.isOpen(key)))
    const before = (await store.alerts.recent(1000)).filter((a) => a.agent === 'sentinel')
    firstId = Math.max(0, ...before.map((a) => a.id)) + 1
    const ours = async () => (await store!.alerts.recent(1000)).filter((a) => a.agent === 'sentinel' && a.id >= firstId)

    // Stop the watcher between its writes: a process frozen inside a write transaction keeps the
    // store's write lock, and then no agent (the sentinel included) can write anything — what made
    // this test hang under load, when the SIGSTOP often landed mid-transaction (block writes, the
    // background compaction). Holding the write lock ourselves while sending it guarantees that.
    await store.transaction(async () => void process.kill(watcher.pid, 'SIGSTOP'))
    await until(async () => store!.alerts.isOpen(key))
    // Many more rounds while the watcher stays stopped: still one row.
    const at = await rounds(store, 'sentinel')
    await until(async () => (await rounds(store!, 'sentinel')) >= at + 10)
    let all = await ours()
    expect(all.map((a) => [a.dedupKey, a.kind, a.rule, a.severity])).toEqual([[key, 'open', 'agent-stale', 'critical']])
    expect(all[0]!.title).toMatch(/^watcher-ethereum: no heartbeat for /)

    const stoppedAt = (await store.heartbeats.get('watcher-ethereum'))!.beatAt
    process.kill(watcher.pid, 'SIGCONT')
    await until(async () => !(await store!.alerts.isOpen(key)))
    // The recovery follows real beats.
    expect((await store.heartbeats.get('watcher-ethereum'))!.beatAt).toBeGreaterThan(stoppedAt)
    const after = await rounds(store, 'sentinel')
    await until(async () => (await rounds(store!, 'sentinel')) >= after + 10)
    all = await ours()
    expect(rowsOf(all, key).map((a) => a.kind)).toEqual(['open', 'recovery'])
    expect(all).toHaveLength(2)
    expect(sentinel.output()).not.toMatch(/"level":50/)
  } finally {
    mining = false
    await miner
  }

  // The existing alert → Telegram path: the telegram agent's delivery sends both rows to the ops chat.
  botApi = await startBotApi({ chats: [{ id: OPS_CHAT, type: 'supergroup', title: 'ops' }] })
  const config = testConfig({ chats: [{ id: OPS_CHAT, alerts: ['warning', 'critical'], digest: false }] }, botApi.url)
  const bot = createTelegramBot({ config, store, logger: silentLogger, token: botApi.token, apiRoot: botApi.url })
  const delivery = createAlertDelivery({ config, store, api: bot.api, logger: silentLogger, token: botApi.token })
  await delivery.tick()
  const earlier = (await store.alerts.recent(1000)).filter((a) => a.agent === 'sentinel' && a.id < firstId).length
  const texts = botApi.sent(OPS_CHAT).map((m) => m.text.split('\n')[0])
  expect(texts).toHaveLength(earlier + 2)
  expect(texts.slice(earlier)).toEqual([expect.stringMatching(/^🚨 <b>CRITICAL<\/b> · watcher-ethereum: no heartbeat for /), '✅ <b>RECOVERED</b> (critical) · watcher-ethereum: beating again'])
  expect(await store.alerts.undelivered()).toEqual([])
  // Starting two agent processes (tsx) on a machine shared by many is slow: the test waits on
  // conditions only; this is the hang guard, not a time the test asserts.
}, 900_000)
