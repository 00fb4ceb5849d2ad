import { StoreError } from './errors.js'

/**
 * Conversions between the TypeScript API and portable column types:
 * block numbers INTEGER ↔ bigint (checked to be safe integers), amounts decimal TEXT ↔ bigint,
 * booleans INTEGER 0/1, reals finite only, JSON as TEXT.
 */

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)
const DECIMAL = /^-?\d+$/

export function intToDb(value: bigint, field: string): number {
  if (typeof value !== 'bigint') throw new StoreError(`store: ${field} must be a bigint, got ${typeof value}`)
  if (value < 0n || value > MAX_SAFE) throw new StoreError(`store: ${field} ${value} is outside 0..2^53-1`)
  return Number(value)
}

export function optIntToDb(value: bigint | null | undefined, field: string): number | null {
  return value === null || value === undefined ? null : intToDb(value, field)
}

export function intFromDb(value: unknown, field: string): bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value)
  if (typeof value === 'bigint') return value
  if (typeof value === 'string' && DECIMAL.test(value)) return BigInt(value)
  throw new StoreError(`store: ${field} in the database is not an integer: ${String(value)}`)
}

export function optIntFromDb(value: unknown, field: string): bigint | null {
  return value === null || value === undefined ? null : intFromDb(value, field)
}

export function amountToDb(value: bigint, field: string): string {
  if (typeof value !== 'bigint') throw new StoreError(`store: ${field} must be a bigint, got ${typeof value}`)
  return value.toString(10)
}

export function optAmountToDb(value: bigint | null | undefined, field: string): string | null {
  return value === null || value === undefined ? null : amountToDb(value, field)
}

export function amountFromDb(value: unknown, field: string): bigint {
  if (typeof value === 'string' && DECIMAL.test(value)) return BigInt(value)
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value)
  throw new StoreError(`store: ${field} in the database is not a decimal integer: ${String(value)}`)
}

export function optAmountFromDb(value: unknown, field: string): bigint | null {
  return value === null || value === undefined ? null : amountFromDb(value, field)
}

export function boolToDb(value: boolean): 0 | 1 {
  return value ? 1 : 0
}

export function optBoolToDb(value: boolean | null | undefined): 0 | 1 | null {
  return value === null || value === undefined ? null : boolToDb(value)
}

export function optBoolFromDb(value: unknown): boolean | null {
  return value === null || value === undefined ? null : Boolean(value)
}

/** A REAL column: finite numbers only (NaN/Infinity are adapter bugs; use null for "unknown"). */
export function optRealToDb(value: number | null | undefined, field: string): number | null {
  if (value === null || value === undefined) return null
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new StoreError(`store: ${field} must be a finite number or null, got ${String(value)}`)
  return value
}

export function optRealFromDb(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value)
}

/** Timestamps in ms (or s where noted) are plain safe integers. */
export function timeToDb(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new StoreError(`store: ${field} must be a non-negative integer, got ${String(value)}`)
  return value
}

export function optTimeToDb(value: number | null | undefined, field: string): number | null {
  return value === null || value === undefined ? null : timeToDb(value, field)
}

/** Row ids (alerts, audit) are safe integers. */
export function idToDb(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new StoreError(`store: ${field} must be a non-negative integer, got ${String(value)}`)
  return value
}

/** JSON TEXT. bigints inside are written as decimal strings (JSON has no bigint). */
export function jsonToDb(value: unknown): string {
  const text = JSON.stringify(value === undefined ? null : value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString(10) : v))
  return text ?? 'null'
}

export function jsonFromDb(value: unknown): unknown {
  if (value === null || value === undefined) return null
  if (typeof value !== 'string') return value
  try {
    return JSON.parse(value)
  } catch (err) {
    throw new StoreError(`store: invalid JSON in the database: ${value.slice(0, 80)}`, { cause: err })
  }
}

export function str(value: unknown): string {
  return value === null || value === undefined ? '' : String(value)
}

export function optStr(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value)
}

export function num(value: unknown): number {
  return Number(value)
}

export function optNum(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value)
}
