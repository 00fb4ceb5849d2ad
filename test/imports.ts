/**
 * The project's import graph, from the source text (TypeScript's own pre-processor: static,
 * dynamic and type-only imports and re-exports), for the circle and layering checks in
 * imports.local.test.ts. Only the project's files are nodes; packages and node: builtins are not.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join, relative, resolve } from 'node:path'
import ts from 'typescript'

const SKIP = new Set(['node_modules', '.git', '.devnet', 'dist', '.pm2', 'coverage', 'logs'])
const SOURCE = /\.(ts|mts|js|mjs|cjs)$/

/** Project file (relative, `/`-separated) → the project files it imports. */
export type ImportGraph = Map<string, Set<string>>

export function listSources(root: string): string[] {
  const out: string[] = []
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      if (SKIP.has(name)) continue
      const p = join(dir, name)
      if (statSync(p).isDirectory()) walk(p)
      else if (SOURCE.test(name) && !name.endsWith('.d.ts')) out.push(p)
    }
  }
  walk(root)
  return out.sort()
}

function resolveRelative(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec)
  const candidates = [base, base.replace(/\.js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), `${base}.ts`, `${base}.mts`, `${base}.js`, `${base}.mjs`, join(base, 'index.ts'), join(base, 'index.js')]
  return candidates.find((c) => existsSync(c) && statSync(c).isFile())
}

export function importGraph(root: string): ImportGraph {
  const graph: ImportGraph = new Map()
  for (const file of listSources(root)) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true)
    const edges = new Set<string>()
    for (const ref of info.importedFiles) {
      if (!ref.fileName.startsWith('.')) continue
      const target = resolveRelative(file, ref.fileName)
      if (target) edges.add(relative(root, target).split('\\').join('/'))
    }
    graph.set(relative(root, file).split('\\').join('/'), edges)
  }
  return graph
}

/** Every import circle (strongly connected component of two or more files, or a file importing itself), each sorted. */
export function importCircles(graph: ImportGraph): string[][] {
  let counter = 0
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const circles: string[][] = []
  const visit = (v: string) => {
    index.set(v, counter)
    low.set(v, counter)
    counter++
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!))
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = []
      let w: string
      do {
        w = stack.pop()!
        onStack.delete(w)
        scc.push(w)
      } while (w !== v)
      if (scc.length > 1 || graph.get(v)!.has(v)) circles.push(scc.sort())
    }
  }
  for (const v of graph.keys()) if (!index.has(v)) visit(v)
  return circles
}

/** A layering rule: files under `from` must not import files under any of `not`. */
export interface LayerRule {
  from: string
  not: string[]
  /** Files (or folders) under `not` that are allowed all the same (e.g. a pure types file). */
  except?: string[]
  why: string
}

/** `<file> imports <target>: <why>` for every import breaking a rule (tests and their helpers, `testing.ts` and `testing/`, are exempt: they wire real parts). */
export function layerViolations(graph: ImportGraph, rules: readonly LayerRule[]): string[] {
  const out: string[] = []
  const isTest = (f: string) => /\.test\.ts$|(^|\/)testing(\/|\.ts$)/.test(f)
  for (const [file, targets] of graph) {
    if (isTest(file)) continue
    for (const rule of rules) {
      if (!file.startsWith(rule.from)) continue
      for (const t of targets) if (rule.not.some((n) => t.startsWith(n)) && !rule.except?.some((e) => t.startsWith(e))) out.push(`${file} imports ${t}: ${rule.why}`)
    }
  }
  return out.sort()
}

/** npm package name of an import specifier (`@scope/name/sub` → `@scope/name`), or undefined for relative and builtin ones. */
export function packageOf(spec: string): string | undefined {
  if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:')) return undefined
  const parts = spec.split('/')
  const name = spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!
  return builtinModules.includes(name) ? undefined : name
}

/** Package → the project files importing it (static, dynamic, type-only, re-exports). */
export function packageImports(root: string): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const file of listSources(root)) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true)
    for (const ref of info.importedFiles) {
      const pkg = packageOf(ref.fileName)
      if (!pkg) continue
      const rel = relative(root, file).split('\\').join('/')
      const files = out.get(pkg) ?? []
      if (!files.includes(rel)) files.push(rel)
      out.set(pkg, files)
    }
  }
  return out
}
