import { getAddress, parseEventLogs, type Address, type Hex, type PublicClient } from 'viem'
import { rolesAbi } from 'zodiac-roles-sdk'
import type { RoleAllowance } from './permissions'

/**
 * The role as it is on chain, rebuilt from the Roles modifier's events (AssignRoles,
 * Allow/Scope/RevokeTarget, Allow/Scope/RevokeFunction; ScopeFunction carries the flat condition
 * tree) plus the allowances' current parameters from `allowances(key)`. No subgraph: the chain is
 * the only source. The result has zodiac-roles-sdk's Role shape, so `callsPlannedForApply`
 * can diff it against the role the config implies.
 */

export interface ConditionNode {
  paramType: number
  operator: number
  compValue?: Hex
  children?: ConditionNode[]
}

interface FnState {
  selector: Hex
  executionOptions: number
  wildcarded: boolean
  condition?: ConditionNode
}

export interface OnChainRole {
  key: Hex
  members: Address[]
  targets: Array<{ address: Address; clearance: number; executionOptions: number; functions: FnState[] }>
  annotations: []
  lastUpdate: number
}

/** The tree of a flat condition list (breadth-first, each node's parent index; the root is its own parent). */
export function unflattenCondition(flat: ReadonlyArray<{ parent: number; paramType: number; operator: number; compValue: Hex }>): ConditionNode | undefined {
  if (flat.length === 0) return undefined
  const nodes: ConditionNode[] = flat.map((f) => ({ paramType: f.paramType, operator: f.operator, ...(f.compValue && f.compValue !== '0x' ? { compValue: f.compValue.toLowerCase() as Hex } : {}) }))
  flat.forEach((f, i) => {
    if (i === 0) return
    const p = nodes[f.parent]!
    ;(p.children ??= []).push(nodes[i]!)
  })
  return nodes[0]
}

export async function readRole(client: PublicClient, roles: Address, roleKey: Hex, opts: { fromBlock?: bigint } = {}): Promise<OnChainRole> {
  const logs = await client.getLogs({ address: roles, fromBlock: opts.fromBlock ?? 0n, toBlock: 'latest' })
  const events = parseEventLogs({ abi: rolesAbi, logs, strict: false })
  const members = new Set<Address>()
  const targets = new Map<Address, { address: Address; clearance: number; executionOptions: number; functions: Map<Hex, FnState> }>()
  const target = (a: string) => {
    const k = a.toLowerCase() as Address
    let t = targets.get(k)
    if (!t) targets.set(k, (t = { address: k, clearance: 0, executionOptions: 0, functions: new Map() }))
    return t
  }
  const key = roleKey.toLowerCase()
  for (const e of events) {
    const a = e.args as Record<string, unknown>
    if (e.eventName === 'AssignRoles') {
      const keys = (a.roleKeys as Hex[]).map((k) => k.toLowerCase())
      const i = keys.indexOf(key)
      const m = (a.module as string).toLowerCase() as Address
      if (i >= 0 && (a.memberOf as boolean[])[i]) members.add(m)
      else if (i >= 0) members.delete(m)
      continue
    }
    if (typeof a.roleKey !== 'string' || a.roleKey.toLowerCase() !== key) continue
    switch (e.eventName) {
      case 'AllowTarget':
        Object.assign(target(a.targetAddress as string), { clearance: 1, executionOptions: Number(a.options) })
        break
      case 'ScopeTarget':
        Object.assign(target(a.targetAddress as string), { clearance: 2, executionOptions: 0 })
        break
      case 'RevokeTarget':
        Object.assign(target(a.targetAddress as string), { clearance: 0, executionOptions: 0 })
        break
      case 'AllowFunction': {
        const sel = (a.selector as Hex).toLowerCase() as Hex
        target(a.targetAddress as string).functions.set(sel, { selector: sel, executionOptions: Number(a.options), wildcarded: true })
        break
      }
      case 'ScopeFunction': {
        const sel = (a.selector as Hex).toLowerCase() as Hex
        const condition = unflattenCondition(a.conditions as Array<{ parent: number; paramType: number; operator: number; compValue: Hex }>)
        target(a.targetAddress as string).functions.set(sel, { selector: sel, executionOptions: Number(a.options), wildcarded: false, ...(condition ? { condition } : {}) })
        break
      }
      case 'RevokeFunction':
        target(a.targetAddress as string).functions.delete((a.selector as Hex).toLowerCase() as Hex)
        break
    }
  }
  return {
    key: roleKey,
    members: [...members],
    // A revoked target with functions left is still listed (clearance None): the SDK diffs it as such.
    targets: [...targets.values()].filter((t) => t.clearance !== 0 || t.functions.size > 0).map((t) => ({ ...t, functions: [...t.functions.values()] })),
    annotations: [],
    lastUpdate: 0,
  }
}

/** The allowances' parameters and balances as they are on chain (stored, not accrued: allowance.ts), at `blockNumber` (default latest). */
export async function readAllowances(client: PublicClient, roles: Address, keys: readonly Hex[], blockNumber?: bigint): Promise<RoleAllowance[]> {
  return Promise.all(
    keys.map(async (key) => {
      const [refill, maxRefill, period, balance, timestamp] = await client.readContract({ address: getAddress(roles), abi: rolesAbi, functionName: 'allowances', args: [key], ...(blockNumber !== undefined ? { blockNumber } : {}) })
      return { key, refill, maxRefill, period: BigInt(period), balance, timestamp: BigInt(timestamp) }
    }),
  )
}

/** One allowance as stored at the chain's latest block, with that block's number and timestamp (the time the modifier would accrue it to). */
export async function readAllowanceAtHead(client: PublicClient, roles: Address, key: Hex): Promise<{ allowance: RoleAllowance; blockNumber: bigint; blockTime: bigint }> {
  const head = await client.getBlock({ blockTag: 'latest' })
  const [allowance] = await readAllowances(client, roles, [key], head.number)
  return { allowance: allowance!, blockNumber: head.number, blockTime: head.timestamp }
}
