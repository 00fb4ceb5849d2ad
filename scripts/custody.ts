/**
 * `npm run custody -- diff [chain] | apply [chain]`
 *
 * diff   the pool's Safe and every Roles role on each chain against what the config implies
 *        (execution/custody/roles.ts: the executor's role, permissions.ts, and the distributor's,
 *        distributorRole.ts): owners, threshold, module enabled, the Roles calls that would
 *        reconcile the roles (each line names its role), and on the chain of
 *        governance.upstream.delegateRegistry the Safe's Snapshot delegation in each upstream
 *        space (it must be governance.voter.account). Exit code 1 when anything differs.
 * apply  one Safe transaction per chain that reconciles it (enableModule and/or a
 *        MultiSendCallOnly batch of the Roles calls and the delegation re-points), built and
 *        hashed by protocol-kit. On the
 *        devnet (profile "devnet") the devnet committee signs (alice, bob: the threshold) and the
 *        deployer submits it; live, it prints the Safe transaction for the committee to propose
 *        and sign in Safe{Wallet} (no key of the committee is ever here).
 * delegate [executor address] --as <member>
 *        an owner registers the executor's key as a delegate of the Safe on each chain's Safe
 *        Transaction Service, so the executor can propose the same-nonce rejection of an ended
 *        committee plan's Safe tx (devnet only: the member's devnet key signs; live, an owner
 *        registers the delegate with their own wallet).
 */
import { parseArgs } from 'node:util'
import { createPublicClient, getAddress, http, isAddress } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { loadConfig } from '../config/load'
import type { Config } from '../config/schema'
import { ConfigError, UsageError } from '../core/errors'
import { runCli } from './lib/cli'
import { committeeKey, COMMITTEE, devKey, ROLES, type CommitteeName } from '../devnet/accounts'
import { addProposerDelegate } from '../execution/committee/delegate'
import { txServiceOf } from '../execution/committee/planSafeTx'
import { devnetSigningKeys } from '../devnet/safe/setUpCustody'
import { describeDiff, diffChainCustody, type ChainCustodyDiff } from '../execution/custody/diffRole'
import { applyCustodyDiff } from '../execution/custody/applyDiff'

const USAGE = 'usage: npm run custody -- diff [chain] | apply [chain] | delegate [executor address] --as <member>'

async function main() {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { 'from-block': { type: 'string' }, as: { type: 'string' } } })
  const [cmd, only] = positionals
  if (cmd === 'delegate') return delegate(loadConfig(), only, values.as)
  if (cmd !== 'diff' && cmd !== 'apply') throw new UsageError(USAGE)
  const config = loadConfig()
  if (config.custody.kind !== 'safe') throw new ConfigError(['custody.kind is "eoa": no Safe and no role to compare (set custody.kind to "safe" with its Safe, owners and Roles modifiers)'])
  const chains = config.chains.filter((c) => !only || c.name === only)
  if (chains.length === 0) throw new UsageError(`unknown chain "${only}" (known: ${config.chains.map((c) => c.name).join(', ')})`)
  const fromBlock = values['from-block'] ? BigInt(values['from-block']) : undefined
  let differs = false
  for (const c of chains) {
    const client = createPublicClient({ transport: http(c.rpc[0]!.url) })
    const d = await diffChainCustody(config, c.name, client, { fromBlock })
    const lines = describeDiff(d)
    console.log(`${c.name}: Safe ${d.safe}, Roles ${d.roles}: ${lines.length === 0 ? 'in sync with the config' : `${lines.length} difference(s)`}`)
    for (const l of lines) console.log(`  ${l}`)
    if (lines.length > 0) differs = true
    if (cmd === 'apply' && (d.encoded.length > 0 || !d.moduleEnabled)) await apply(config, c.rpc[0]!.url, d)
  }
  if (cmd === 'diff' && differs) process.exitCode = 1
}

async function apply(config: Config, url: string, d: ChainCustodyDiff) {
  // The devnet committee signs (its keys are public test keys); live, nothing is signed here.
  const signers = config.profile === 'devnet' ? { ownerKeys: devnetSigningKeys(config.custody.threshold), submitterKey: devKey(ROLES.deployer) } : undefined
  for (const a of await applyCustodyDiff(config, url, d, signers)) {
    if (a.hash) console.log(`  applied (${a.what}): Safe tx ${a.safeTxHash}, signed by the devnet committee, executed in ${a.hash}`)
    else {
      console.log(`  Safe transaction (${a.what}) on ${d.chain}, safeTxHash ${a.safeTxHash}: propose it to the committee in Safe{Wallet}:`)
      console.log(JSON.stringify({ to: a.tx.data.to, value: a.tx.data.value, data: a.tx.data.data, operation: a.tx.data.operation, nonce: a.tx.data.nonce }, null, 2))
    }
  }
}

async function delegate(config: Config, address: string | undefined, member: string | undefined) {
  if (config.custody.kind !== 'safe') throw new ConfigError(['custody.kind is "eoa": there is no Safe to delegate for'])
  if (config.profile !== 'devnet') throw new ConfigError(['delegate: on a live profile an owner registers the executor\'s address as a delegate of the Safe with their own wallet (api-kit addSafeDelegate); this CLI holds no owner key'])
  if (!member || !(member in COMMITTEE)) throw new UsageError(`--as: a devnet committee member (known: ${Object.keys(COMMITTEE).join(', ')})`)
  const delegateAddress = address ? (isAddress(address) ? getAddress(address) : undefined) : privateKeyToAccount(devKey(ROLES.pool)).address
  if (!delegateAddress) throw new UsageError(`"${address}" is not an address`)
  for (const c of config.chains) {
    const service = txServiceOf(config, c.name)
    if (!service) throw new ConfigError([`custody.chains[${c.name}].txServiceUrl is not set`])
    await addProposerDelegate(service, { safe: getAddress(config.pool.account), delegate: delegateAddress, ownerKey: committeeKey(member as CommitteeName), chainId: c.chainId, rpcUrl: c.rpc[0]!.url })
    console.log(`${c.name}: ${member} registered ${delegateAddress} as a delegate of the Safe ${config.pool.account} (it proposes rejections; it never confirms)`)
  }
}

runCli('custody', main, { usage: USAGE })
