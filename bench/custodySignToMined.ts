import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import SafeApiKit from '@safe-global/api-kit'
import { parseEther } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { createChainClient } from '../chains/createChainClient'
import { createLogger } from '../core/logger'
import { committeeKey, devKey, ROLES } from '../devnet/accounts'
import type { LocalDevnet } from '../devnet/local'
import { startSafeTxService } from '../devnet/safe/txService'
import { signAndSubmit } from '../execution/committee/planSafeTx'
import { execIntentKey, runCommitteePlan } from '../execution/committee/runCommitteePlan'
import { createTxSender } from '../execution/createTxSender'
import { openTempStore } from '../store/testing'

/**
 * From the last committee signature to the Safe transaction mined (custody "safe", devnet): a
 * committee plan's Safe tx is stored, alice signs through the local Safe Transaction Service, then
 * bob's signature (the threshold) is accepted by the service at head block B; the executor's next
 * round (runCommitteePlan, called right away: in the executor up to execution.signaturePollMs, 150 ms, comes on top
 * while a plan awaits signatures) reads the
 * signatures back, verifies them on chain and sends execTransaction. The chain mines one block a
 * second (interval mining, not automine) so "the next block" means something: target B + 1.
 */
export interface SignToMined {
  run: number
  /** Head block when the last signature was accepted. */
  signedAt: bigint
  /** Blocks after it in which execTransaction was mined. */
  blocks: bigint
  ms: number
}

export async function benchSignToMined(devnet: LocalDevnet, o: { runs?: number; chain?: string; blockSeconds?: number } = {}): Promise<SignToMined[]> {
  const chain = o.chain ?? 'ethereum'
  const config = devnet.config
  const c = config.chains.find((x) => x.name === chain)!
  const logger = createLogger({ bench: 'custody-sign' }, 'silent')
  const { store, cleanup } = await openTempStore()
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-sign-'))
  const svc = await startSafeTxService({ dbPath: path.join(dir, 'service.sqlite'), chains: config.chains.map((x) => ({ chainId: x.chainId, rpcUrl: x.rpc[0]!.url })) })
  const client = createChainClient({ chain: c, logger, timeoutMs: 5_000 })
  const rpc = (method: string, params: unknown[] = []) => client.client.request({ method: method as never, params: params as never })
  try {
    const service = new SafeApiKit({ chainId: BigInt(c.chainId), txServiceUrl: svc.urlFor(c.chainId) })
    const sender = createTxSender({ common: { config, logger }, store, chain: client, account: privateKeyToAccount(devKey(ROLES.pool)), options: { pollIntervalMs: 20 } })
    const deps = { common: { config, logger }, store, chains: { [chain]: client }, senders: { [chain]: sender }, services: { [chain]: service } }
    const committeeChain = { name: chain, url: c.rpc[0]!.url, client: client.client }
    await rpc('evm_setAutomine', [false])
    await rpc('evm_setIntervalMining', [o.blockSeconds ?? 1])
    const out: SignToMined[] = []
    for (let run = 1; run <= (o.runs ?? 3); run++) {
      const id = `bench-sign-${run}`
      await store.plans.create({
        id, chain, status: 'awaiting_approval', basedOnBlock: { [chain]: 1n }, totalAmount: parseEther('2'), expectedGain: parseEther('0.01'), cost: parseEther('0.001'),
        needsApproval: true, approvalsRequired: 2, explanation: { bench: true },
        steps: [{ kind: 'withdraw', chain, venueId: `${chain}-vault-core`, amount: parseEther('1') }, { kind: 'deposit', chain, venueId: `${chain}-vault-boost`, amount: parseEther('1') }],
      })
      await runCommitteePlan(deps, id)
      await signAndSubmit(config, committeeChain, (await store.safeTxs.get(id, chain))!, committeeKey('alice'), service)
      await signAndSubmit(config, committeeChain, (await store.safeTxs.get(id, chain))!, committeeKey('bob'), service)
      const t0 = performance.now()
      const signedAt = await client.client.getBlockNumber({ cacheTime: 0 })
      const r = await runCommitteePlan(deps, id)
      const ms = performance.now() - t0
      if (r.status !== 'completed') throw new Error(`bench custody: plan ${id} ended ${r.status}`)
      const intent = (await store.intents.get(execIntentKey(id, chain)))!
      out.push({ run, signedAt, blocks: intent.blockNumber! - signedAt, ms: Math.round(ms) })
    }
    return out
  } finally {
    await rpc('evm_setIntervalMining', [0]).catch(() => undefined)
    await rpc('evm_setAutomine', [true]).catch(() => undefined)
    await svc.close()
    await cleanup()
    await rm(dir, { recursive: true, force: true })
  }
}
