/**
 * One fault case of `npm run faults` (scripts/faults.ts): the fault injected, what must happen,
 * and a way to run it. A case either runs here (`run`) or is a test of the vitest suite (`test`:
 * the file and the test's name), so the kill tests and the reorg tests stay the tests they are and
 * the table reports their outcome. Every case is also a test: the `run` ones have a test file
 * calling the same function.
 */
export interface FaultResult {
  /** What was seen, one line. */
  observed: string
  /** The case's expectation held. */
  passed: boolean
  /** Nothing lost: no money moved twice or lost, no vote or step lost, no process or port leaked. */
  nothingLost: boolean
}

export interface FaultCaseBase {
  /** Stable id (`stop-during-start-3s`). */
  id: string
  /** The row's group in the table and README (`start/stop`, `kill`, `reorg`, `config`…). */
  group: string
  /** The fault injected, as an operator would say it. */
  fault: string
  /** What poolwarden must do. */
  expected: string
}

export interface RunCase extends FaultCaseBase {
  kind: 'run'
  run(): Promise<FaultResult>
}

export interface TestCase extends FaultCaseBase {
  kind: 'test'
  /** The vitest project (tier) and file, relative to the project root. */
  project: 'pure' | 'local' | 'devnet'
  file: string
  /** Test names (full or a unique part of them) that must all pass; none = every test of the file. */
  tests?: string[]
}

export type FaultCase = RunCase | TestCase

/** A row of the table: the case and its result. */
export interface FaultRow {
  id: string
  group: string
  fault: string
  expected: string
  observed: string
  passed: boolean
  nothingLost: boolean
}
