/**
 * `npm run faults [-- --only id,id] [--group g] [--readme] [--readme-only] [--list] [--built]`
 *
 * Injects each fault of issue 16's list against local devnets and prints a table — fault,
 * expected, observed, nothing lost (yes/no), result — then exits non-zero if any case failed or
 * a fault of the list has no case yet (`--built` leaves those out). Cases are in
 * scripts/faults/registry.ts: some run here (start/stop on a network of its own, ports
 * POOLWARDEN_TEST_PORT + 140…153), the others are the tests that inject the fault (vitest, one run
 * per tier, JSON reporter; the devnet tier starts its own anvils at POOLWARDEN_TEST_PORT).
 * `--readme` rewrites README's "What poolwarden survives" from this run; `--readme-only` from the
 * last run's report (.devnet/faults-report.json).
 */
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { ROOT } from './lib/pm2'
import { faultCases, PLANNED } from './faults/registry'
import { plannedRow, renderSurvives, renderTable, replaceSurvives, summary } from './faults/table'
import type { FaultRow, TestCase } from './faults/types'

const REPORT = join(ROOT, '.devnet', 'faults-report.json')
/** Where the tests write their notes for the table (POOLWARDEN_FAULT_NOTES; fresh for each run). */
const NOTES = mkdtempSync(join(tmpdir(), 'pw-fault-notes-'))
process.env.POOLWARDEN_FAULT_NOTES = NOTES

interface VitestJson {
  testResults: Array<{ name: string; assertionResults: Array<{ fullName: string; title: string; status: string; duration?: number | null; failureMessages: string[] }> }>
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** Runs the test cases of one tier in one vitest process; the JSON report. */
async function runVitest(project: string, cases: TestCase[]): Promise<{ report?: VitestJson; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'pw-faults-'))
  const outFile = join(dir, 'report.json')
  const files = [...new Set(cases.map((c) => c.file))]
  const pattern = cases.flatMap((c) => c.tests ?? ['']).map(escapeRe).join('|')
  const args = ['run', '--project', project, '--reporter=json', `--outputFile=${outFile}`, ...(pattern ? ['-t', pattern] : []), ...files]
  const output = await new Promise<string>((resolve) => {
    const child = spawn(join(ROOT, 'node_modules/.bin/vitest'), args, { cwd: ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    child.on('exit', () => resolve(out))
  })
  try {
    return { report: JSON.parse(readFileSync(outFile, 'utf8')) as VitestJson, output }
  } catch {
    return { output }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** What a case's tests wrote for the table (e.g. the disk-full mechanism used), one line. */
function noteOf(id: string): string {
  try {
    return readFileSync(join(NOTES, `${id}.txt`), 'utf8').trim().split('\n').join('; ')
  } catch {
    return ''
  }
}

function rowOfTest(c: TestCase, report: VitestJson | undefined, output: string): FaultRow {
  const base = { id: c.id, group: c.group, fault: c.fault, expected: c.expected }
  if (!report) return { ...base, observed: `the tests did not run: ${output.trim().split('\n').slice(-3).join(' ').slice(0, 200)}`, passed: false, nothingLost: false }
  const file = report.testResults.find((f) => f.name.endsWith(c.file))
  const tests = (file?.assertionResults ?? []).filter((t) => t.status !== 'skipped' && t.status !== 'pending' && t.status !== 'todo' && (!c.tests || c.tests.some((n) => t.fullName.includes(n))))
  if (!tests.length) return { ...base, observed: `no test of ${c.file} matched ${JSON.stringify(c.tests ?? [])}`, passed: false, nothingLost: false }
  const failed = tests.filter((t) => t.status !== 'passed')
  const secs = tests.reduce((s, t) => s + (t.duration ?? 0), 0) / 1000
  const note = noteOf(c.id)
  const observed = failed.length
    ? `${failed.length} of ${tests.length} test(s) failed: ${failed[0]!.title}: ${(failed[0]!.failureMessages[0] ?? '').split('\n')[0]!.slice(0, 160)}`
    : `${tests.length} test(s) passed in ${secs.toFixed(1)} s (${c.file})${note ? `: ${note}` : ''}`
  // The tests assert exactly-once and conservation: when they pass, nothing was lost.
  return { ...base, observed, passed: failed.length === 0, nothingLost: failed.length === 0 }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      group: { type: 'string' },
      readme: { type: 'boolean' },
      'readme-only': { type: 'boolean' },
      list: { type: 'boolean' },
      built: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  })
  if (values.help) {
    console.log('usage: npm run faults [-- --only id,id] [--group g] [--built] [--list] [--readme | --readme-only]')
    return 0
  }
  const testPort = Number(process.env.POOLWARDEN_TEST_PORT ?? 18545)
  process.env.POOLWARDEN_TEST_PORT = String(testPort)
  const all = faultCases({ startStopBase: testPort + 140 })
  const only = values.only?.split(',').map((s) => s.trim())
  const pick = (c: { id: string; group: string }) => (!only || only.includes(c.id)) && (!values.group || c.group === values.group)
  const cases = all.filter(pick)
  const planned = values.built ? [] : PLANNED.filter(pick)

  if (values.list) {
    for (const c of cases) console.log(`${c.id.padEnd(28)} ${c.group.padEnd(11)} ${c.kind === 'test' ? `${c.project}: ${c.file}` : 'runs here'}`)
    for (const c of planned) console.log(`${c.id.padEnd(28)} ${c.group.padEnd(11)} not built yet`)
    return 0
  }

  if (values['readme-only']) {
    const saved = JSON.parse(readFileSync(REPORT, 'utf8')) as { when: string; how: string; rows: FaultRow[] }
    writeReadme(saved.rows, saved)
    return 0
  }

  const t0 = Date.now()
  const rows = new Map<string, FaultRow>()
  const tests = cases.filter((c): c is TestCase => c.kind === 'test')
  for (const project of ['pure', 'local', 'devnet'] as const) {
    const mine = tests.filter((c) => c.project === project)
    if (!mine.length) continue
    console.log(`▸ ${project} tests: ${mine.map((c) => c.id).join(', ')}…`)
    const { report, output } = await runVitest(project, mine)
    for (const c of mine) rows.set(c.id, rowOfTest(c, report, output))
  }
  for (const c of cases.filter((c) => c.kind === 'run')) {
    console.log(`▸ ${c.id}…`)
    const r = await c.run().catch((err: unknown) => ({ observed: `the case crashed: ${(err as Error).message}`, passed: false, nothingLost: false }))
    rows.set(c.id, { id: c.id, group: c.group, fault: c.fault, expected: c.expected, observed: r.observed, passed: r.passed, nothingLost: r.nothingLost })
    console.log(`  ${r.passed ? 'passed' : 'FAILED'}: ${r.observed}`)
  }
  const ordered: FaultRow[] = [...cases.map((c) => rows.get(c.id)!), ...planned.map(plannedRow)]
  // A partial run (--only, --group) keeps the other rows of the last report for the README.
  let previous: FaultRow[] = []
  try {
    previous = (JSON.parse(readFileSync(REPORT, 'utf8')) as { rows: FaultRow[] }).rows
  } catch {
    /* no earlier run */
  }
  const ran = new Set(ordered.map((r) => r.id))
  const known = new Set([...all, ...PLANNED].map((c) => c.id))
  const kept = previous.filter((r) => !ran.has(r.id) && known.has(r.id))
  const full: FaultRow[] = [...all, ...PLANNED].flatMap((c) => ordered.find((r) => r.id === c.id) ?? kept.find((r) => r.id === c.id) ?? [])
  console.log()
  console.log(renderTable(ordered))
  const s = summary(ordered)
  console.log()
  console.log(`${s.passed} passed, ${s.failed} failed${s.planned ? `, ${s.planned} not built yet` : ''} (${((Date.now() - t0) / 1000).toFixed(0)} s)`)
  rmSync(NOTES, { recursive: true, force: true })
  const meta = { when: new Date().toISOString().slice(0, 10), how: `npm run faults${process.argv.slice(2).filter((a) => !a.startsWith('--readme')).length ? ` -- ${process.argv.slice(2).filter((a) => !a.startsWith('--readme')).join(' ')}` : ''}` }
  mkdirSync(join(ROOT, '.devnet'), { recursive: true })
  const fullMeta = kept.length ? { ...meta, how: `${meta.how} (${kept.length} rows from the run before)` } : meta
  writeFileSync(REPORT, `${JSON.stringify({ ...fullMeta, rows: full }, null, 2)}\n`)
  if (values.readme) writeReadme(full, fullMeta)
  return s.failed === 0 && s.planned === 0 ? 0 : 1
}

function writeReadme(rows: FaultRow[], meta: { when: string; how: string }): void {
  const file = join(ROOT, 'README.md')
  writeFileSync(file, replaceSurvives(readFileSync(file, 'utf8'), renderSurvives(rows, meta)))
  console.log(`README.md: "What poolwarden survives" rewritten from ${rows.length} rows`)
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`npm run faults: ${(err as Error).stack ?? err}`)
    process.exit(1)
  },
)
