import type { Config } from '../config/schema'
import { formatAmount, type AmountUnit } from '../core/amount'
import type { SafeTxForkSimulation } from '../store'
import { unitOf } from '../watch/units'

/**
 * What a committee plan's Safe transaction did on a fork of its chain (execution/committee/
 * forkSimulate.ts), as one line for the approval request — `npm run plan -- show`, the Telegram
 * approval message, the dashboard's plan page. PURE (config and the stored simulation in).
 *
 *   ethereum, on a fork of block 812: ethereum-vault-core −40.000 wstETH, ethereum-vault-boost +25.000 wstETH, idle ±0 wstETH
 *
 * Each delta is the venue's value in the chain's collateral after minus before on the fork (the
 * raw venue asset when its rates were unknown, named so); unchanged venues read ±0.
 */
export function forkDeltaText(config: Pick<Config, 'pool'>, chain: string, sim: SafeTxForkSimulation, digits = 3): string {
  const unit = unitOf(config as Config, chain)
  const parts = sim.positions.map((p) => {
    const valued = p.valueBefore !== null && p.valueAfter !== null
    const delta = valued ? BigInt(p.valueAfter!) - BigInt(p.valueBefore!) : BigInt(p.after) - BigInt(p.before)
    return `${p.idle ? 'idle' : p.venueId} ${signed(delta, unit, digits)}${valued ? '' : ' (venue asset, not valued)'}`
  })
  return `${chain}, on a fork of block ${sim.block}: ${parts.join(', ')}`
}

/** The line for a chain whose Safe tx has no fork simulation (a destination leg, or stored before forks). */
export function noForkText(chain: string): string {
  return `${chain}: not simulated on a fork before signing (a destination leg is simulated when its funds land)`
}

function signed(x: bigint, unit: AmountUnit, digits: number): string {
  // Rounded to the shown digit, not cut: an Aave supply of 15 that mints 15 minus 1 wei of aToken
  // (ray rounding) reads +15.000, not +14.999.
  const abs = x < 0n ? -x : x
  const half = digits < unit.decimals ? 5n * 10n ** BigInt(unit.decimals - digits - 1) : 0n
  const s = formatAmount(abs + half, unit, { digits })
  if (/^0(\.0*)? /.test(s)) return `±${s}`
  return `${x < 0n ? '−' : '+'}${s}`
}
