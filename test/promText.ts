/**
 * A strict parser of the Prometheus text exposition format 0.0.4, for tests: it throws on the
 * first line Prometheus would refuse (or that breaks the format's rules: a sample before its
 * family's TYPE, a TYPE repeated, a counter sample not named `<family>_total`, a duplicate series,
 * a bad label escape, a value that is not a float), naming the line. Written from the format's
 * specification, not from prom-client, so a broken exporter fails the tests.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped'

export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

export interface Family {
  name: string
  type: MetricType
  help?: string
  samples: Sample[]
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const TYPES: readonly MetricType[] = ['counter', 'gauge', 'histogram', 'summary', 'untyped']

function parseValue(v: string, line: number): number {
  if (v === '+Inf') return Infinity
  if (v === '-Inf') return -Infinity
  if (v === 'NaN') return NaN
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v)) throw new Error(`line ${line}: value "${v}" is not a float`)
  return Number(v)
}

/** Labels from the text after `{` at `i`; returns them and the index after `}`. */
function parseLabels(s: string, start: number, line: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {}
  let i = start
  for (;;) {
    if (s[i] === '}') return { labels, end: i + 1 }
    const eq = s.indexOf('=', i)
    if (eq < 0) throw new Error(`line ${line}: label without "="`)
    const name = s.slice(i, eq)
    if (!LABEL.test(name)) throw new Error(`line ${line}: bad label name "${name}"`)
    if (name in labels) throw new Error(`line ${line}: label "${name}" twice`)
    if (s[eq + 1] !== '"') throw new Error(`line ${line}: label "${name}" value is not quoted`)
    let j = eq + 2
    let value = ''
    for (;;) {
      const c = s[j]
      if (c === undefined) throw new Error(`line ${line}: unterminated label value`)
      if (c === '"') break
      if (c === '\\') {
        const n = s[j + 1]
        if (n === 'n') value += '\n'
        else if (n === '\\' || n === '"') value += n
        else throw new Error(`line ${line}: bad escape "\\${n ?? ''}" in label "${name}"`)
        j += 2
        continue
      }
      if (c === '\n') throw new Error(`line ${line}: raw newline in a label value`)
      value += c
      j++
    }
    labels[name] = value
    i = j + 1
    if (s[i] === ',') i++
    else if (s[i] !== '}') throw new Error(`line ${line}: expected "," or "}" after label "${name}"`)
  }
}

/** The family a sample name belongs to, given the declared families. */
function familyOf(name: string, families: Map<string, Family>): Family | undefined {
  for (const suffix of ['', '_total', '_bucket', '_count', '_sum', '_created']) {
    if (suffix && !name.endsWith(suffix)) continue
    const base = suffix ? name.slice(0, -suffix.length) : name
    const f = families.get(base)
    if (f) return f
  }
  return undefined
}

export function parsePrometheusText(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline')
  const families = new Map<string, Family>()
  const series = new Set<string>()
  const lines = text.split('\n')
  lines.pop()
  lines.forEach((raw, idx) => {
    const line = idx + 1
    if (raw.trim() === '') return
    if (raw.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(raw)
      if (!m) return // a plain comment
      const [, kind, name, rest] = m as unknown as [string, string, string, string]
      if (!NAME.test(name)) throw new Error(`line ${line}: bad metric name "${name}"`)
      let f = families.get(name)
      if (kind === 'TYPE') {
        if (!TYPES.includes(rest as MetricType)) throw new Error(`line ${line}: unknown type "${rest}"`)
        if (f?.type && f.samples.length) throw new Error(`line ${line}: TYPE of ${name} after its samples`)
        if (f && f.type !== 'untyped') throw new Error(`line ${line}: TYPE of ${name} given twice`)
        if (!f) families.set(name, (f = { name, type: rest as MetricType, samples: [] }))
        else f.type = rest as MetricType
      } else {
        if (f?.help !== undefined) throw new Error(`line ${line}: HELP of ${name} given twice`)
        if (!f) families.set(name, (f = { name, type: 'untyped', samples: [] }))
        f.help = rest
      }
      return
    }
    const nameEnd = raw.search(/[{ ]/)
    if (nameEnd <= 0) throw new Error(`line ${line}: not a sample: "${raw}"`)
    const name = raw.slice(0, nameEnd)
    if (!NAME.test(name)) throw new Error(`line ${line}: bad metric name "${name}"`)
    let labels: Record<string, string> = {}
    let rest = raw.slice(nameEnd)
    if (rest.startsWith('{')) {
      const r = parseLabels(raw, nameEnd + 1, line)
      labels = r.labels
      rest = raw.slice(r.end)
    }
    const parts = rest.trim().split(/\s+/)
    if (!rest.startsWith(' ') || parts.length < 1 || parts.length > 2 || parts[0] === '') throw new Error(`line ${line}: expected "<value> [timestamp]" after the name and labels`)
    const value = parseValue(parts[0]!, line)
    if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1])) throw new Error(`line ${line}: timestamp "${parts[1]}" is not an integer`)
    const f = familyOf(name, families)
    if (!f || f.type === 'untyped') throw new Error(`line ${line}: sample ${name} has no TYPE line before it`)
    if (f.type === 'counter' && name !== `${f.name}_total` && name !== f.name) throw new Error(`line ${line}: counter sample ${name} is not ${f.name}_total`)
    if (f.type === 'counter' && !(value >= 0)) throw new Error(`line ${line}: counter ${name} is negative or NaN`)
    if (f.type === 'gauge' && name !== f.name) throw new Error(`line ${line}: gauge sample ${name} does not match its family ${f.name}`)
    const id = `${name}{${Object.entries(labels)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(',')}}`
    if (series.has(id)) throw new Error(`line ${line}: duplicate series ${id}`)
    series.add(id)
    f.samples.push({ name, labels, value })
  })
  return families
}

/** The value of one series (labels must match exactly), or undefined. */
export function valueOf(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name !== name) continue
      const keys = Object.keys(s.labels)
      if (keys.length === Object.keys(labels).length && keys.every((k) => s.labels[k] === labels[k])) return s.value
    }
  }
  return undefined
}
