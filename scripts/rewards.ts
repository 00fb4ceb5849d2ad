/**
 * `npm run rewards -- <command>`: the delegators' side of reward epochs.
 *
 *   list                          epochs: status, root, leaves, distributable, commission, carried loss
 *   show <epoch>                  one epoch: earnings and their inputs, boundary blocks, every leaf
 *   proof <address>               the latest published epoch's leaf and proof for an account, and
 *                                 what it can claim now (cumulative − claimed on chain)
 *   claim --as <delegator>        devnet only: submits the claim for a devnet delegator — an anvil
 *                                 index (2…5), an address, or `wallet` (the EIP-1271 wallet, submitted
 *                                 by its owner #8: anyone may submit, the funds go to the account)
 *   verify <epoch> [--rpc chain=url …] [--tree file]
 *                                 recomputes every entitlement from chain data alone and compares the
 *                                 root with the one on chain: MATCH, or MISMATCH naming the first
 *                                 differing leaf (exit 1)
 * Trees are read from the data dir (rewards.dataDir, default beside the store: rewards/epoch-<n>.json).
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { createPublicClient, createWalletClient, formatUnits, getAddress, http, isAddress, type Address, type Hex, type PublicClient } from 'viem'
import { loadConfig } from '../config/load'
import type { Config } from '../config/schema'
import { ConfigError, describeError } from '../core/errors'
import { createLogger } from '../core/logger'
import { devAccount } from '../devnet/accounts'
import { GOV_ROLES } from '../devnet/governance/constants'
import { devnetChain } from '../devnet/deploy'
import { rewardsDataDir } from '../execution/distributor/closeEpoch'
import { distributorAbi } from '../rewards/readChain'
import { buildTree, proofFor, type PublishedEpoch } from '../rewards/tree'
import { verifyEpoch } from '../rewards/verify'
import { openStore } from '../store'

const USAGE = 'usage: npm run rewards -- list | show <epoch> | proof <address> | claim --as <delegator> | verify <epoch> [--rpc chain=url …] [--tree file]'

function rewardsOf(config: Config) {
  if (!config.rewards) throw new ConfigError(['rewards: missing: no reward epochs are configured (see README "Rewards")'])
  return config.rewards
}

function treeFile(config: Config, epoch: number): string {
  return path.join(rewardsDataDir(config), `epoch-${epoch}.json`)
}

function readTree(file: string): PublishedEpoch {
  if (!existsSync(file)) throw new Error(`no tree file ${file}`)
  const p = JSON.parse(readFileSync(file, 'utf8')) as PublishedEpoch
  if (p.format !== 'poolwarden-rewards-v1') throw new Error(`${file}: not a poolwarden rewards tree (format ${String(p.format)})`)
  return p
}

function client(config: Config, chain: string, url?: string): PublicClient {
  const c = config.chains.find((x) => x.name === chain)
  const rpc = url ?? c?.rpc[0]?.url
  if (!rpc) throw new Error(`no RPC URL for chain "${chain}": pass --rpc ${chain}=<url>`)
  return createPublicClient({ transport: http(rpc) }) as PublicClient
}

function fmt(config: Config, x: bigint | string): string {
  const col = config.pool.collateral.find((c) => c.chain === config.rewards?.chain)
  return `${formatUnits(BigInt(x), col?.decimals ?? 18)} ${col?.symbol ?? ''}`.trim()
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv
  const config = loadConfig()
  const r = rewardsOf(config)
  const logger = createLogger({ cli: 'rewards' }, 'warn')
  if (cmd === 'list' || cmd === 'show') {
    const store = await openStore({ path: config.store.path, logger })
    try {
      if (cmd === 'list') {
        const rows = await store.rewards.list({ limit: 50 })
        if (rows.length === 0) console.log(`no reward epoch closed yet (epochs of ${r.epochSeconds} s; the distributor closes each after it ends)`)
        for (const e of rows) {
          const s = e.summary as Record<string, string>
          console.log(`epoch ${e.epoch}  ${new Date(e.startTime * 1000).toISOString()} → ${new Date(e.endTime * 1000).toISOString()}  ${e.status.padEnd(7)}  ${e.root ?? '(no root)'}  distributable ${fmt(config, s.distributable ?? '0')}  commission ${fmt(config, s.commission ?? '0')}  carried loss ${fmt(config, e.carriedLoss)}`)
        }
        return 0
      }
      const n = Number(rest[0])
      if (!Number.isInteger(n)) throw new Error(`show: epoch: expected a number, got ${JSON.stringify(rest[0])}`)
      const e = await store.rewards.get(n)
      if (!e) throw new Error(`epoch ${n}: not closed (npm run rewards -- list)`)
      console.log(`epoch ${e.epoch}: ${e.status}, root ${e.root ?? '(none: losing epoch)'}, ${new Date(e.startTime * 1000).toISOString()} → ${new Date(e.endTime * 1000).toISOString()}`)
      for (const [k, v] of Object.entries(e.summary)) console.log(`  ${k}: ${typeof v === 'string' && /^-?\d+$/.test(v) && v.length > 6 ? `${v} (${fmt(config, v)})` : String(v)}`)
      if (e.tree) {
        const p = JSON.parse(e.tree) as PublishedEpoch
        console.log(`  tree file: ${treeFile(config, n)}`)
        console.log(`  leaves (${p.leaves.length}): account, this epoch, cumulative`)
        for (const l of p.leaves.slice(0, 200)) console.log(`    ${l.account}  ${fmt(config, l.amount)}  ${fmt(config, l.cumulative)}`)
      }
      return 0
    } finally {
      await store.close()
    }
  }
  if (cmd === 'proof' || cmd === 'claim') {
    let account: Address
    let submitter = null as ReturnType<typeof devAccount> | null
    if (cmd === 'proof') {
      if (!rest[0] || !isAddress(rest[0])) throw new Error(`proof: address: expected 0x… (40 hex digits), got ${JSON.stringify(rest[0] ?? '')}`)
      account = getAddress(rest[0])
    } else {
      const i = rest.indexOf('--as')
      const who = i >= 0 ? rest[i + 1] : undefined
      if (!who) throw new Error('claim: --as <delegator> is required (an anvil index 2…5, an address, or "wallet")')
      if (config.profile !== 'devnet') throw new ConfigError([`claim: profile "${config.profile}" is not the devnet: claim from your own wallet with the proof from \`npm run rewards -- proof <address>\` (distributor.claim(account, cumulativeAmount, proof))`])
      const deployment = JSON.parse(readFileSync(path.join(path.dirname(config.store.path), 'deployment.json'), 'utf8')) as { contractDelegators?: { address: Address }[] }
      if (who === 'wallet') {
        const w = deployment.contractDelegators?.[0]?.address
        if (!w) throw new Error('claim --as wallet: the deployment has no EIP-1271 wallet delegator')
        account = getAddress(w)
        submitter = devAccount(GOV_ROLES.walletOwner)
      } else if (/^\d+$/.test(who)) {
        submitter = devAccount(Number(who))
        account = submitter.address
      } else if (isAddress(who)) {
        account = getAddress(who)
        submitter = devAccount(0)
      } else throw new Error(`claim --as ${JSON.stringify(who)}: expected an anvil index (2…5), an address or "wallet"`)
    }
    const c = client(config, r.chain)
    const onchainEpoch = await c.readContract({ address: r.distributor, abi: distributorAbi, functionName: 'epoch' })
    if (onchainEpoch === 0n) throw new Error('no root published on chain yet (npm run rewards -- list)')
    const p = readTree(treeFile(config, Number(onchainEpoch)))
    const tree = buildTree(new Map(p.leaves.map((l) => [l.account.toLowerCase(), BigInt(l.cumulative)])))
    const onchainRoot = await c.readContract({ address: r.distributor, abi: distributorAbi, functionName: 'merkleRoot' })
    if (tree.root.toLowerCase() !== onchainRoot.toLowerCase()) throw new Error(`the tree file of epoch ${onchainEpoch} has root ${tree.root}, the distributor ${onchainRoot}: run verify`)
    const leaf = proofFor(tree, account)
    const claimed = await c.readContract({ address: r.distributor, abi: distributorAbi, functionName: 'claimed', args: [account] })
    if (!leaf) {
      console.log(`${account}: no leaf in epoch ${onchainEpoch} (nothing earned so far)`)
      return cmd === 'proof' ? 0 : 1
    }
    const claimable = leaf.cumulative - claimed
    console.log(`${account}: epoch ${onchainEpoch}, cumulative ${fmt(config, leaf.cumulative)} (${leaf.cumulative}), claimed ${fmt(config, claimed)}, claimable ${fmt(config, claimable)}`)
    if (cmd === 'proof') {
      console.log(JSON.stringify({ distributor: r.distributor, chain: r.chain, account, cumulativeAmount: String(leaf.cumulative), proof: leaf.proof }, null, 1))
      return 0
    }
    if (claimable <= 0n) {
      console.log('nothing to claim')
      return 0
    }
    const chainCfg = config.chains.find((x) => x.name === r.chain)!
    const wallet = createWalletClient({ account: submitter!, chain: devnetChain({ name: chainCfg.name, chainId: chainCfg.chainId, url: chainCfg.rpc[0]!.url }), transport: http(chainCfg.rpc[0]!.url) })
    const hash = await wallet.writeContract({ address: r.distributor, abi: distributorAbi, functionName: 'claim', args: [account, leaf.cumulative, leaf.proof as Hex[]] })
    const rc = await c.waitForTransactionReceipt({ hash })
    console.log(`claim ${rc.status === 'success' ? 'paid' : 'REVERTED'}: ${fmt(config, claimable)} to ${account} (tx ${hash}, block ${rc.blockNumber}, submitted by ${submitter!.address})`)
    return rc.status === 'success' ? 0 : 1
  }
  if (cmd === 'verify') {
    const n = Number(rest[0])
    if (!Number.isInteger(n)) throw new Error(`verify: epoch: expected a number, got ${JSON.stringify(rest[0] ?? '')}`)
    const urls: Record<string, string> = {}
    let file = treeFile(config, n)
    for (let i = 1; i < rest.length; i++) {
      if (rest[i] === '--rpc') {
        const m = /^([^=]+)=(.+)$/.exec(rest[++i] ?? '')
        if (!m) throw new Error(`--rpc: expected chain=url, got ${JSON.stringify(rest[i] ?? '')}`)
        urls[m[1]!] = m[2]!
      } else if (rest[i] === '--tree') file = rest[++i] ?? file
      else throw new Error(`verify: unknown argument ${JSON.stringify(rest[i])}`)
    }
    const published = readTree(file)
    const previous = published.previousEpoch !== null ? readTree(path.join(path.dirname(file), `epoch-${published.previousEpoch}.json`)) : null
    const chains = [...new Set([published.claims.chain, ...published.inputs.map((x) => x.chain)])]
    const clients = Object.fromEntries(chains.map((ch) => [ch, client(config, ch, urls[ch])]))
    const multicall3 = Object.fromEntries(config.chains.map((ch) => [ch.name, ch.multicall3]))
    console.log(`verify epoch ${n} from ${file}: ${published.leaves.length} leaves, root ${published.root}, chains ${chains.join(', ')}`)
    const v = await verifyEpoch({ published, previous, clients, multicall3 })
    for (const ch of v.checks) console.log(`  ${ch}`)
    console.log(`  root on chain: ${v.onchainRoot ?? '(none)'}; recomputed ${v.root}`)
    if (v.match) {
      console.log(`MATCH: every leaf and the root on chain are what the chain data give`)
      return 0
    }
    console.log(`MISMATCH: ${v.reason}`)
    return 1
  }
  console.error(USAGE)
  return 2
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (err) => {
    console.error(err instanceof ConfigError ? err.message : `rewards: ${describeError(err)}`)
    process.exitCode = 2
  },
)
