import { formatUnits } from 'viem'
import type { Config } from '../config/schema'
import type { Store, Transfer } from '../store'
import { valueInCollateral } from '../watch/units'

/**
 * `npm run status`'s cross-chain part, from the store: funds in flight (amount, from → to, state,
 * age, where they land — the destination's idle collateral, then the plan's deposits there), the
 * transfers that landed, and the pool's collateral per chain = venues + idle + in flight.
 */

export interface TransferRow {
  id: string
  route: string
  amount: string
  state: string
  age: string
  landsIn: string
  detail: string
}

export interface ChainCollateral {
  chain: string
  /** Collateral units. */
  venues: number
  idle: number
  inFlight: number
  total: number
  /** Positions in another asset whose rate is unknown: not counted, named. */
  unvalued?: string[]
}

export interface BridgeStatus {
  inFlight: TransferRow[]
  landed: TransferRow[]
  collateral: ChainCollateral[]
  symbol: string
}

const IN_FLIGHT = new Set(['pending', 'initiated', 'vaa_signed'])

function fmtAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`
}

export async function buildBridgeStatus(config: Config, store: Store, now = Date.now()): Promise<BridgeStatus> {
  const dec = (chain: string) => config.pool.collateral.find((c) => c.chain === chain)?.decimals ?? 18
  const symbol = config.pool.collateral[0]?.symbol ?? 'units'
  const human = (raw: bigint, chain: string) => Number(formatUnits(raw, dec(chain)))
  const fmt = (raw: bigint, chain: string) => `${human(raw, chain).toLocaleString('en-US', { maximumFractionDigits: 6 })} ${symbol}`
  const idleOf = (chain: string) => {
    const token = config.pool.collateral.find((c) => c.chain === chain)?.token.toLowerCase()
    return config.venues.find((v) => v.chain === chain && v.kind === 'lst' && v.address.toLowerCase() === token)?.id
  }
  const transfers = await store.transfers.list({ limit: 200 })
  const row = async (t: Transfer): Promise<TransferRow> => {
    const steps = await store.plans.steps(t.planId)
    const after = steps.filter((s) => s.kind === 'deposit' && s.chain === t.destChain && s.idx > (t.redeemIdx ?? t.stepIdx))
    const landsIn = [`${idleOf(t.destChain) ?? t.destChain} (${t.recipient.slice(0, 10)}…)`, ...after.map((s) => `→ ${s.venueId}${s.status === 'confirmed' ? ' ✓' : ''}`)].join(' ')
    const since = t.state === 'redeemed' || t.state === 'deposited' ? (t.redeemedAt ?? t.updatedAt) - (t.initiatedAt ?? t.createdAt) : now - (t.initiatedAt ?? t.createdAt)
    const detail = [t.sequence !== null ? `seq ${t.sequence}` : null, t.sourceTx ? `src ${t.sourceTx.slice(0, 12)}…` : null, t.destTx ? `dst ${t.destTx.slice(0, 12)}…` : null, t.lastError && IN_FLIGHT.has(t.state) ? `last: ${t.lastError}` : null]
      .filter(Boolean)
      .join(', ')
    return { id: t.id, route: `${t.sourceChain} → ${t.destChain}`, amount: fmt(t.received, t.destChain), state: t.state, age: t.state === 'redeemed' || t.state === 'deposited' ? `took ${fmtAge(since)}` : fmtAge(since), landsIn, detail }
  }
  const inFlight: TransferRow[] = []
  const landed: TransferRow[] = []
  for (const t of transfers) {
    if (IN_FLIGHT.has(t.state)) inFlight.push(await row(t))
    else if ((t.state === 'redeemed' || t.state === 'deposited') && landed.length < 5) landed.push(await row(t))
  }
  const flying = await store.transfers.inFlightByChain()
  const positions = await store.history.latestPositions()
  const latest = new Map((await store.history.latestPerVenue()).map((x) => [x.venueId, x]))
  const collateral: ChainCollateral[] = config.chains.map((c) => {
    const idle = idleOf(c.name)
    let venues = 0n
    let idleAmt = 0n
    const unvalued: string[] = []
    for (const p of positions) {
      if (p.chain !== c.name) continue
      const v = config.venues.find((x) => x.id === p.venueId)
      if (!v) continue
      if (v.id === idle) {
        idleAmt += p.amount
        continue
      }
      // Another LST (rETH) is another asset: valued in the collateral at the latest rates (watch/units.ts).
      const value = valueInCollateral(config, v, p.amount, latest).value
      if (value === null) {
        if (p.amount > 0n) unvalued.push(v.id)
      } else venues += value
    }
    const f = flying.get(c.name) ?? 0n
    return { chain: c.name, venues: human(venues, c.name), idle: human(idleAmt, c.name), inFlight: human(f, c.name), total: human(venues + idleAmt + f, c.name), ...(unvalued.length ? { unvalued } : {}) }
  })
  return { inFlight, landed, collateral, symbol }
}

function table(rows: TransferRow[]): string[] {
  const head: TransferRow = { id: 'TRANSFER', route: 'FROM → TO', amount: 'AMOUNT', state: 'STATE', age: 'AGE', landsIn: 'LANDS IN', detail: 'DETAIL' }
  const keys = Object.keys(head) as (keyof TransferRow)[]
  const w = Object.fromEntries(keys.map((k) => [k, Math.max(head[k].length, ...rows.map((r) => r[k].length))])) as Record<keyof TransferRow, number>
  const line = (r: TransferRow) => keys.map((k) => (k === 'amount' ? r[k].padStart(w[k]) : r[k].padEnd(w[k]))).join('  ').trimEnd()
  return [line(head), ...rows.map(line)]
}

export function renderBridgeStatus(s: BridgeStatus): string {
  const out: string[] = []
  const n = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: 4 })
  out.push(`Collateral per chain in ${s.symbol} (venues + idle + in flight; other LSTs at their exchange rates):`)
  for (const c of s.collateral) {
    out.push(`  ${c.chain.padEnd(10)} ${n(c.total).padStart(12)} ${s.symbol}  = venues ${n(c.venues)} + idle ${n(c.idle)} + in flight ${n(c.inFlight)}${c.unvalued?.length ? ` (not counted, no rate: ${c.unvalued.join(', ')})` : ''}`)
  }
  const total = s.collateral.reduce((a, c) => a + c.total, 0)
  out.push(`  ${'pool'.padEnd(10)} ${n(total).padStart(12)} ${s.symbol}`)
  out.push('')
  if (s.inFlight.length) {
    out.push(`Funds in flight (${s.inFlight.length}):`)
    out.push(...table(s.inFlight).map((l) => `  ${l}`))
  } else out.push('Funds in flight: none')
  if (s.landed.length) {
    out.push('')
    out.push('Landed (latest):')
    out.push(...table(s.landed).map((l) => `  ${l}`))
  }
  return out.join('\n')
}
