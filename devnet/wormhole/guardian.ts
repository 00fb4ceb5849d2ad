import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { createPublicClient, getAddress, http, parseAbiItem, type Hex, type PublicClient } from 'viem'
import { generatePrivateKey } from 'viem/accounts'
import type { Config } from '../../config/schema'
import { describeError } from '../../core/errors'
import type { Logger } from '../../core/logger'
import { Mutex } from '../../core/mutex'
import { openGuardianDb, type GuardianDb, type ObservedMessage } from './guardianDb'
import { DEVNET_GUARDIAN_KEY, base64OfHex, signVaa, toUniversal, vaaHash, type VaaBody } from './vaa'

/**
 * The local Wormhole guardian of the devnet. It watches every configured chain's core bridge for
 * LogMessagePublished, waits until the message's block is `finality` blocks deep on its chain
 * (config wormhole.chains[].finality, else the chain's finalityDepth), signs the VAA with the
 * devnet guardian set, stores it in its own SQLite file, and serves it over HTTP at the paths of
 * the real Wormhole APIs the SDK calls (guardian REST `/v1/signed_vaa/…`, wormholescan
 * `/api/v1/vaas?txHash=…`, `/api/v1/transactions/…`, `/v1/governor/is_vaa_enqueued/…`), so the SDK
 * fetches VAAs from it with nothing but its `api` URL overridden.
 *
 * Reorgs (and devnet evm_revert): messages are keyed by (emitter chain, emitter, sequence) with
 * their block hash; a VAA is served only while its block is still canonical; after a fork the
 * scan resumes from the newest checkpoint still canonical.
 *
 * Devnet/test hooks: `pause()`/`resume()` (the guardian is down: no listener, no signing),
 * `setFault()` (serve VAAs signed by another key, or for another target chain), `sync()` (scan and
 * sign now). Over HTTP: POST /devnet/fault, POST /devnet/sync, GET /devnet/status.
 */

export type GuardianFault =
  | { kind: 'none' }
  /** Served VAAs are signed by a key outside the guardian set (the core bridge must refuse them). */
  | { kind: 'bad-signature'; times?: number }
  /** Served token transfer VAAs name another target chain (validly signed; the token bridge must refuse them). */
  | { kind: 'wrong-target'; toChain?: number; times?: number }
  /** VAA requests (`/v1/signed_vaa/…`) are answered 429 with `Retry-After: retryAfterSeconds` (the API's rate limit). */
  | { kind: 'rate-limited'; retryAfterSeconds: number; times?: number }

export interface GuardianOptions {
  config: Pick<Config, 'chains' | 'wormhole'>
  /** The guardian's SQLite file. */
  dbPath: string
  /** Listen port (default: the port of config.wormhole.api; 0 = any free port). */
  port?: number
  host?: string
  /** Poll interval of the chains (default 200 ms). */
  pollMs?: number
  /** Guardian set keys (default: the devnet guardian). */
  keys?: readonly Hex[]
  logger?: Logger
}

export interface GuardianStatus {
  paused: boolean
  fault: GuardianFault
  observed: number
  signed: number
  chains: Record<string, { head: number | null; scannedTo: number | null; finality: number; error: string | null }>
  /** VAA requests received at `/v1/signed_vaa/…` (each one, whatever the answer). */
  vaaRequests: number
}

export interface Guardian {
  readonly url: string
  readonly port: number
  /** Scans every chain and signs what is final, now. */
  sync(): Promise<void>
  /** The guardian goes down: closes its listener (clients get connection refused) and stops observing and signing. */
  pause(): Promise<void>
  /** Back up on the same port; catches up on what happened meanwhile. */
  resume(): Promise<void>
  setFault(fault: GuardianFault): void
  status(): Promise<GuardianStatus>
  stop(): Promise<void>
}

const logMessagePublished = parseAbiItem('event LogMessagePublished(address indexed sender, uint64 sequence, uint32 nonce, bytes payload, uint8 consistencyLevel)')

/** Blocks per eth_getLogs request. */
const LOG_CHUNK = 2_000n

interface WatchedChain {
  name: string
  emitterChain: number
  coreBridge: Hex
  finality: number
  client: PublicClient
  mutex: Mutex
  head: number | null
  scannedTo: number | null
  error: string | null
}

/** Offset of the target chain (uint16) in token bridge transfer payloads (ids 1 and 3). */
const TO_CHAIN_OFFSET = 1 + 32 + 32 + 2 + 32

export async function startGuardian(opts: GuardianOptions): Promise<Guardian> {
  const wh = opts.config.wormhole
  if (!wh) throw new Error('guardian: the config has no "wormhole" section')
  const keys = opts.keys ?? [DEVNET_GUARDIAN_KEY]
  const log = opts.logger
  const pollMs = opts.pollMs ?? 200
  const host = opts.host ?? '127.0.0.1'
  let port = opts.port ?? Number(new URL(wh.api).port || 80)
  const db: GuardianDb = await openGuardianDb(opts.dbPath)

  const chains: WatchedChain[] = wh.chains.map((c) => {
    const chain = opts.config.chains.find((x) => x.name === c.chain)
    if (!chain) throw new Error(`guardian: wormhole.chains: unknown chain "${c.chain}"`)
    return {
      name: c.chain,
      emitterChain: c.wormholeChainId,
      coreBridge: c.coreBridge,
      finality: c.finality ?? chain.finalityDepth,
      client: createPublicClient({ transport: http(chain.rpc[0]!.url, { retryCount: 0, timeout: 5_000 }), cacheTime: 0 }),
      mutex: new Mutex(),
      head: null,
      scannedTo: null,
      error: null,
    }
  })
  const byEmitterChain = new Map(chains.map((c) => [c.emitterChain, c]))

  // ── observe and sign ────────────────────────────────────────────────────────────────────────

  const blockHash = async (c: WatchedChain, n: number): Promise<Hex | null> => {
    const b = await c.client.getBlock({ blockNumber: BigInt(n) }).catch(() => null)
    return b?.hash ?? null
  }

  /** The newest checkpoint still canonical (null: none; scan from genesis). */
  const forkPoint = async (c: WatchedChain, head: number): Promise<number | null> => {
    for (const cp of await db.checkpoints(c.name)) {
      if (cp.number <= head && (await blockHash(c, cp.number)) === cp.hash) return cp.number
    }
    return null
  }

  const scanChain = async (c: WatchedChain): Promise<void> => {
    const head = Number(await c.client.getBlockNumber())
    c.head = head
    const [last] = await db.checkpoints(c.name, 1)
    let from = 0
    if (last) {
      const canonical = last.number <= head && (await blockHash(c, last.number)) === last.hash
      if (canonical) from = last.number + 1
      else {
        const fork = await forkPoint(c, head)
        const keep = fork ?? -1
        log?.warn({ chain: c.name, from: last.number, to: keep }, 'guardian: chain reorganised (or reverted): rescanning from the fork point')
        await db.dropCheckpointsAbove(c.name, keep)
        for (const m of await db.since(c.name, keep + 1)) {
          if ((await blockHash(c, m.blockNumber)) !== m.blockHash) await db.remove(m)
        }
        from = keep + 1
      }
    }
    if (from <= head) {
      const stamps = new Map<Hex, number>()
      for (let lo = BigInt(from); lo <= BigInt(head); lo += LOG_CHUNK) {
        const hi = lo + LOG_CHUNK - 1n < BigInt(head) ? lo + LOG_CHUNK - 1n : BigInt(head)
        const logs = await c.client.getLogs({ address: c.coreBridge, event: logMessagePublished, fromBlock: lo, toBlock: hi })
        for (const l of logs) {
          if (!l.blockHash || l.blockNumber === null || !l.transactionHash || l.logIndex === null) continue
          let ts = stamps.get(l.blockHash)
          if (ts === undefined) {
            ts = Number((await c.client.getBlock({ blockHash: l.blockHash })).timestamp)
            stamps.set(l.blockHash, ts)
          }
          await db.upsert({
            chain: c.name,
            emitterChain: c.emitterChain,
            emitter: toUniversal(getAddress(l.args.sender!)).slice(2),
            sequence: l.args.sequence!,
            txHash: l.transactionHash,
            blockNumber: Number(l.blockNumber),
            blockHash: l.blockHash,
            logIndex: l.logIndex,
            timestamp: ts,
            nonce: l.args.nonce!,
            consistencyLevel: l.args.consistencyLevel!,
            payload: l.args.payload!,
          })
        }
      }
      const h = await blockHash(c, head)
      if (h) await db.addCheckpoint(c.name, head, h)
    }
    c.scannedTo = head
    // Sign what is final: `finality` blocks on top of the message's block.
    for (const m of await db.unsigned(c.name, head - c.finality)) {
      if ((await blockHash(c, m.blockNumber)) !== m.blockHash) {
        await db.remove(m)
        continue
      }
      const vaa = await signVaa(bodyOf(m), keys)
      await db.setVaa(m, vaa, Date.now())
      log?.info({ chain: c.name, sequence: m.sequence.toString(), emitter: m.emitter, tx: m.txHash }, 'guardian: signed VAA')
    }
  }

  const sync = async (): Promise<void> => {
    await Promise.all(
      chains.map((c) =>
        c.mutex.lock(async () => {
          try {
            await scanChain(c)
            c.error = null
          } catch (err) {
            c.error = describeError(err)
            log?.warn({ chain: c.name, err: c.error }, 'guardian: chain scan failed; retrying')
          }
        }),
      ),
    )
  }

  // ── serving ─────────────────────────────────────────────────────────────────────────────────

  let fault: GuardianFault = { kind: 'none' }
  let vaaRequests = 0
  const otherKey = generatePrivateKey()

  /** The VAA to serve for a stored message: its signed bytes, unless a fault is set. */
  const served = async (m: ObservedMessage): Promise<Hex | null> => {
    if (!m.vaa) return null
    const c = byEmitterChain.get(m.emitterChain)
    // Never serve a VAA whose block was reorganised (or reverted) away.
    if (c && (await blockHash(c, m.blockNumber)) !== m.blockHash) return null
    const f = fault
    if (f.kind === 'none' || f.kind === 'rate-limited') return m.vaa
    if (f.times !== undefined) fault = f.times <= 1 ? { kind: 'none' } : { ...f, times: f.times - 1 }
    if (f.kind === 'bad-signature') return signVaa(bodyOf(m), [otherKey])
    const payload = m.payload
    const id = Number.parseInt(payload.slice(2, 4), 16)
    if ((id !== 1 && id !== 3) || payload.length < 2 + (TO_CHAIN_OFFSET + 2) * 2) return m.vaa
    const original = Number.parseInt(payload.slice(2 + TO_CHAIN_OFFSET * 2, 2 + (TO_CHAIN_OFFSET + 2) * 2), 16)
    const to = f.toChain ?? chains.map((x) => x.emitterChain).find((x) => x !== original && x !== m.emitterChain) ?? (original === 2 ? 4 : 2)
    const patched = `${payload.slice(0, 2 + TO_CHAIN_OFFSET * 2)}${to.toString(16).padStart(4, '0')}${payload.slice(2 + (TO_CHAIN_OFFSET + 2) * 2)}` as Hex
    return signVaa({ ...bodyOf(m), payload: patched }, keys)
  }

  const vaaDoc = (m: ObservedMessage, vaa: Hex) => ({
    sequence: m.sequence.toString(),
    id: `${m.emitterChain}/${m.emitter}/${m.sequence}`,
    version: 1,
    emitterChain: m.emitterChain,
    emitterAddr: m.emitter,
    emitterNativeAddr: `0x${m.emitter.slice(24)}`,
    guardianSetIndex: 0,
    vaa: base64OfHex(vaa),
    timestamp: new Date(m.timestamp * 1000).toISOString(),
    updatedAt: new Date(m.signedAt ?? Date.now()).toISOString(),
    indexedAt: new Date(m.signedAt ?? Date.now()).toISOString(),
    txHash: m.txHash.slice(2),
    digest: vaaHash(bodyOf(m)).slice(2),
    isDuplicated: false,
  })

  const notFound = (res: ServerResponse) => send(res, 404, { code: 5, message: 'requested VAA not found in store', details: [] })

  const lookup = async (chainId: string, emitter: string, seq: string): Promise<ObservedMessage | undefined> => {
    if (!/^\d+$/.test(chainId) || !/^(0x)?[0-9a-fA-F]{64}$/.test(emitter) || !/^\d+$/.test(seq)) return undefined
    return db.get(Number(chainId), emitter.replace(/^0x/, '').toLowerCase(), BigInt(seq))
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://guardian')
    const parts = url.pathname.split('/').filter(Boolean)
    const route = parts.join('/')
    if (req.method === 'GET' && parts.length === 5 && route.startsWith('v1/signed_vaa/')) {
      vaaRequests++
      const f = fault
      if (f.kind === 'rate-limited') {
        if (f.times !== undefined) fault = f.times <= 1 ? { kind: 'none' } : { ...f, times: f.times - 1 }
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(f.retryAfterSeconds) })
        res.end(JSON.stringify({ code: 8, message: 'rate limit exceeded', details: [] }))
        return
      }
      const m = await lookup(parts[2]!, parts[3]!, parts[4]!)
      const vaa = m && (await served(m))
      return vaa ? send(res, 200, { vaaBytes: base64OfHex(vaa) }) : notFound(res)
    }
    if (req.method === 'GET' && route === 'api/v1/vaas') {
      const tx = (url.searchParams.get('txHash') ?? '').toLowerCase()
      const hash = (tx.startsWith('0x') ? tx : `0x${tx}`) as Hex
      const data = []
      for (const m of await db.byTx(hash)) {
        const vaa = await served(m)
        if (vaa) data.push(vaaDoc(m, vaa))
      }
      return send(res, 200, { data, pagination: { next: '' } })
    }
    if (req.method === 'GET' && parts.length === 6 && route.startsWith('api/v1/vaas/')) {
      const m = await lookup(parts[3]!, parts[4]!, parts[5]!)
      const vaa = m && (await served(m))
      return vaa ? send(res, 200, { data: vaaDoc(m, vaa), pagination: { next: '' } }) : notFound(res)
    }
    if (req.method === 'GET' && parts.length === 6 && route.startsWith('api/v1/transactions/')) {
      const m = await lookup(parts[3]!, parts[4]!, parts[5]!)
      if (!m) return notFound(res)
      const signed = m.vaa !== null
      return send(res, 200, {
        id: `${m.emitterChain}/${m.emitter}/${m.sequence}`,
        timestamp: new Date(m.timestamp * 1000).toISOString(),
        txHash: m.txHash.slice(2),
        emitterChain: m.emitterChain,
        emitterAddress: m.emitter,
        emitterNativeAddress: `0x${m.emitter.slice(24)}`,
        payload: { payload: m.payload.slice(2) },
        globalTx: {
          id: `${m.emitterChain}/${m.emitter}/${m.sequence}`,
          originTx: { chainId: m.emitterChain, txHash: m.txHash.slice(2), timestamp: new Date(m.timestamp * 1000).toISOString(), status: signed ? 'confirmed' : 'pending' },
          destinationTx: null,
        },
      })
    }
    if (req.method === 'GET' && parts.length === 6 && route.startsWith('v1/governor/is_vaa_enqueued/')) return send(res, 200, { isEnqueued: false })
    if (req.method === 'GET' && route === 'v1/heartbeats') {
      return send(res, 200, {
        entries: [{ p2pNodeId: '', rawHeartbeat: { nodeName: 'poolwarden-devnet-guardian', counter: '1', timestamp: String(Date.now() * 1e6), networks: chains.map((c) => ({ id: c.emitterChain, height: String(c.head ?? 0), contractAddress: c.coreBridge, errorCount: '0' })), version: 'devnet', guardianAddr: '', bootTimestamp: '0', features: [] }, verifiedGuardianAddr: '' }],
      })
    }
    if (req.method === 'GET' && route === 'devnet/status') return send(res, 200, await status())
    if (req.method === 'POST' && route === 'devnet/sync') {
      await sync()
      return send(res, 200, await status())
    }
    if (req.method === 'POST' && route === 'devnet/fault') {
      const body = JSON.parse((await readBody(req)) || '{}') as GuardianFault
      if (!['none', 'bad-signature', 'wrong-target', 'rate-limited'].includes(body.kind)) return send(res, 400, { message: 'fault kind: one of none, bad-signature, wrong-target, rate-limited' })
      fault = body
      return send(res, 200, { fault })
    }
    return send(res, 404, { code: 5, message: 'not found', details: [] })
  }

  const status = async (): Promise<GuardianStatus> => ({
    paused,
    fault,
    vaaRequests,
    ...(await db.count()),
    chains: Object.fromEntries(chains.map((c) => [c.name, { head: c.head, scannedTo: c.scannedTo, finality: c.finality, error: c.error }])),
  })

  // ── lifecycle ───────────────────────────────────────────────────────────────────────────────

  let server: Server | undefined
  const sockets = new Set<Socket>()
  let timer: NodeJS.Timeout | undefined
  let paused = false
  let stopped = false
  let loop: Promise<void> = Promise.resolve()

  const listen = async (): Promise<void> => {
    const s = createServer((req, res) => {
      handle(req, res).catch((err) => send(res, 500, { code: 13, message: describeError(err) }))
    })
    s.on('connection', (sock) => {
      sockets.add(sock)
      sock.on('close', () => sockets.delete(sock))
    })
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject)
      s.listen(port, host, () => resolve())
    })
    port = (s.address() as AddressInfo).port
    server = s
  }
  const unlisten = async (): Promise<void> => {
    const s = server
    server = undefined
    if (!s) return
    await new Promise<void>((resolve) => {
      s.close(() => resolve())
      for (const sock of sockets) sock.destroy()
    })
  }
  const schedule = () => {
    if (paused || stopped) return
    timer = setTimeout(() => {
      loop = sync().finally(schedule)
    }, pollMs)
  }

  try {
    await listen()
  } catch (err) {
    await db.close()
    throw new Error(`guardian: cannot listen on ${host}:${port}: ${describeError(err)}`)
  }
  await sync()
  schedule()
  log?.info({ port, chains: chains.map((c) => `${c.name}:${c.finality}`) }, 'guardian: serving')

  return {
    get url() {
      return `http://${host}:${port}`
    },
    get port() {
      return port
    },
    sync,
    async pause() {
      if (paused) return
      paused = true
      clearTimeout(timer)
      await loop
      await unlisten()
      log?.info('guardian: paused (down)')
    },
    async resume() {
      if (!paused) return
      paused = false
      await listen()
      await sync()
      schedule()
      log?.info('guardian: resumed')
    },
    setFault(f) {
      fault = f
    },
    status,
    async stop() {
      if (stopped) return
      stopped = true
      clearTimeout(timer)
      await loop
      await unlisten()
      await db.close()
    },
  }
}

function bodyOf(m: ObservedMessage): VaaBody {
  return {
    timestamp: m.timestamp,
    nonce: m.nonce,
    emitterChain: m.emitterChain,
    emitterAddress: `0x${m.emitter}`,
    sequence: m.sequence,
    consistencyLevel: m.consistencyLevel,
    payload: m.payload,
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return
  res.writeHead(status, { 'content-type': 'application/json', 'access-control-allow-origin': '*' })
  res.end(JSON.stringify(body))
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => {
      data += chunk
      if (data.length > 64_000) reject(new Error('request body too large'))
    })
    req.on('end', () => resolve(data))
    req.on('error', reject)
  })
}
