/**
 * The one way an amount is shown: a number in its unit, always with the unit. Every CLI, Telegram
 * and plan text formats amounts through `formatAmount`, so an amount never appears unlabelled or
 * in a unit other than the one it is valued in (the pool's collateral LST, e.g. wstETH).
 */

export interface AmountUnit {
  /** Decimals of the raw amount (bigint input). */
  decimals: number
  /** The unit's symbol, e.g. "wstETH". */
  symbol: string
}

export interface FormatAmountOptions {
  /** Fraction digits (default 3). */
  digits?: number
  /** Group thousands (1,234.5; default true). */
  group?: boolean
}

/** Raw bigint → decimal string, exact (no float on the way), cut (not rounded) to `digits`. */
function rawToDecimal(raw: bigint, decimals: number, digits: number): string {
  const neg = raw < 0n
  const abs = neg ? -raw : raw
  const base = 10n ** BigInt(decimals)
  const int = abs / base
  let frac = (abs % base).toString().padStart(decimals, '0')
  frac = frac.slice(0, digits).padEnd(digits, '0')
  return `${neg ? '-' : ''}${int.toString()}${digits > 0 ? `.${frac}` : ''}`
}

const group = (s: string) => {
  const [i, f] = s.split('.')
  const neg = i!.startsWith('-')
  const digits = neg ? i!.slice(1) : i!
  const g = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  return `${neg ? '-' : ''}${g}${f !== undefined ? `.${f}` : ''}`
}

/**
 * `formatAmount(1234500000000000000000n, { decimals: 18, symbol: 'wstETH' })` → "1,234.500 wstETH";
 * a number is taken as already in units (`formatAmount(0.25, 'wstETH')` → "0.250 wstETH").
 */
export function formatAmount(x: bigint | number | null | undefined, unit: AmountUnit | string, opts: FormatAmountOptions = {}): string {
  const digits = opts.digits ?? 3
  const symbol = typeof unit === 'string' ? unit : unit.symbol
  if (x === null || x === undefined || (typeof x === 'number' && !Number.isFinite(x))) return `— ${symbol}`
  let s: string
  if (typeof x === 'bigint') {
    if (typeof unit === 'string') throw new TypeError('formatAmount: a raw bigint needs { decimals, symbol }')
    s = rawToDecimal(x, unit.decimals, digits)
  } else s = x.toFixed(digits)
  if (/^-0(\.0*)?$/.test(s)) s = s.slice(1)
  return `${opts.group === false ? s : group(s)} ${symbol}`
}
