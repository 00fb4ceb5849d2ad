import { describe, expect, it } from 'vitest'
import { escapeHtml, fmtUnits, html, jsonForScript, parseRange, raw, tableCsv, tableJson, withQuery } from './html'
import { filterAudit, viaOf } from './pages/audit'
import { holdAt, timeGrid, weightedMean } from './series'

describe('html escaping', () => {
  it('escapes interpolated text and attributes, keeps nested html and our own markup', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;')
    const title = '<script>alert(1)</script>'
    expect(html`<td title="${title}">${title}</td>`.value).toBe('<td title="&lt;script&gt;alert(1)&lt;/script&gt;">&lt;script&gt;alert(1)&lt;/script&gt;</td>')
    expect(html`<ul>${['a<', 'b'].map((x) => html`<li>${x}</li>`)}</ul>`.value).toBe('<ul><li>a&lt;</li><li>b</li></ul>')
    expect(html`${raw('<br>')}${null}${undefined}${false}${0}`.value).toBe('<br>0')
  })
  it('JSON in a script block cannot close the block', () => {
    const s = jsonForScript({ t: '</script><script>alert(1)</script>', a: 'x & y' }).value
    expect(s).not.toContain('</script>')
    expect(s).not.toContain('<')
    expect(JSON.parse(s)).toEqual({ t: '</script><script>alert(1)</script>', a: 'x & y' })
  })
})

describe('exports', () => {
  const t = {
    columns: [
      { key: 'a', label: 'A' },
      { key: 'b', label: 'B' },
    ],
    rows: [
      { a: 'plain', b: 1 },
      { a: 'has, comma', b: null },
      { a: 'say "hi"\nbye', b: -2 },
      { a: '=HYPERLINK("x")', b: true },
    ],
  }
  it('CSV: header of keys, RFC 4180 quoting, empty for null, formulas defused, CRLF', () => {
    expect(tableCsv(t)).toBe('a,b\r\nplain,1\r\n"has, comma",\r\n"say ""hi""\nbye",-2\r\n"\'=HYPERLINK(""x"")",true\r\n')
  })
  it('JSON: the rows with the column keys in column order', () => {
    expect(tableJson({ columns: t.columns, rows: [{ b: 2, a: 'x', c: 'hidden' }] })).toEqual([{ a: 'x', b: 2 }])
    expect(Object.keys(tableJson({ columns: t.columns, rows: [{ b: 2, a: 'x' }] })[0]!)).toEqual(['a', 'b'])
  })
  it('links keep the query and drop what is unset', () => {
    expect(withQuery('/venue/a', { range: '7d', export: 'x' }, { export: undefined, format: 'csv' })).toBe('/venue/a?range=7d&format=csv')
  })
})

describe('ranges and amounts', () => {
  it('parses the four ranges; anything else names the parameter and the choices', () => {
    expect(parseRange(undefined)).toBe('1d')
    expect(parseRange('30d')).toBe('30d')
    expect(parseRange('2y')).toEqual({ error: 'range: unknown range "2y" (use one of 1h, 1d, 7d, 30d)' })
  })
  it('formats raw amounts exactly, rounding half up', () => {
    expect(fmtUnits(1_234_567_890_000_000_000n, 18)).toBe('1.2346')
    expect(fmtUnits(-5n * 10n ** 17n, 18, 2)).toBe('-0.50')
    expect(fmtUnits(4n, 18)).toBe('0.0000')
    expect(fmtUnits(123n, 0)).toBe('123')
    expect(fmtUnits(null, 18)).toBeNull()
  })
})

describe('series', () => {
  it('a time grid of n points from start to end', () => {
    expect(timeGrid(100, 200, 5)).toEqual([100, 125, 150, 175, 200])
  })
  it('holds the newest reading at or before each time; null before the first', () => {
    const r = [
      { t: 110, v: 1 },
      { t: 150, v: 2 },
      { t: 151, v: null },
    ]
    expect(holdAt(r, [100, 110, 149, 150, 200])).toEqual([null, 1, 1, 2, null])
  })
  it('weighted mean over known pairs with positive weight', () => {
    expect(weightedMean([{ w: 3, x: 0.02 }, { w: 1, x: 0.06 }, { w: 0, x: 9 }, { w: null, x: 9 }, { w: 5, x: null }])).toBeCloseTo(0.03, 12)
    expect(weightedMean([{ w: 0, x: 1 }])).toBeNull()
  })
})

describe('audit filter', () => {
  const e = (id: number, at: number, actor: string, action: string) => ({ id, at, actor, action, detail: {} })
  const log = [e(1, 100, 'cli:alice', 'plan.approve'), e(2, 200, 'telegram:bob', 'pause'), e(3, 300, 'executor', 'bridge-initiated'), e(4, 50, 'telegram:alice', 'plan.reject')]
  it('via is the actor before ":", or the agent itself', () => {
    expect(log.map((x) => viaOf(x.actor))).toEqual(['cli', 'telegram', 'executor', 'telegram'])
  })
  it('filters by who, what, via (case-insensitive) and the start of the range', () => {
    expect(filterAudit(log, 0, { who: 'ALICE' }).map((x) => x.id)).toEqual([1, 4])
    expect(filterAudit(log, 0, { via: 'telegram' }).map((x) => x.id)).toEqual([2, 4])
    expect(filterAudit(log, 0, { what: 'plan.', via: 'cli' }).map((x) => x.id)).toEqual([1])
    expect(filterAudit(log, 100, { who: 'alice' }).map((x) => x.id)).toEqual([1])
  })
})
