import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { packageImports } from './imports'

/**
 * package.json declares exactly what the code imports. Packages used without an import (tools,
 * binaries, Solidity sources) are listed with the reason; devnet-only packages are named in
 * package.json → poolwarden.devnetOnly and never imported by live code.
 */
const root = join(import.meta.dirname, '..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>
  devDependencies: Record<string, string>
  optionalDependencies?: Record<string, string>
  poolwarden?: { devnetOnly?: string[] }
}
const declared = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.devDependencies), ...Object.keys(pkg.optionalDependencies ?? {})])

/** Declared and used, but not through an import the graph sees. */
const USED_WITHOUT_IMPORT: Record<string, string> = {
  tsx: 'runs the scripts and agents (npm scripts, node --import tsx)',
  '@types/node': 'types for node: builtins',
  '@foundry-rs/anvil-linux-amd64': 'the anvil binary, started by path',
  '@openzeppelin/contracts': 'imported by the Solidity sources in contracts/',
  eslint: 'npm run lint (eslint.config.js imports typescript-eslint)',
  secp256k1: 'loaded by path with createRequire in governance/verifyWorker.ts (native, outside the bundles)',
  uplot: 'its browser bundle and CSS (dist/uPlot.iife.min.js, dist/uPlot.min.css) are served by path by web/server.ts (createRequire.resolve): the charts run in the browser, no build step',
  '@safe-global/safe-contracts': 'its build artifacts (Safe v1.4.1 bytecode and ABIs) are read by path with createRequire in devnet/safe/deploySafe.ts',
}

/** Declared for work landing now (empty when package.json and the imports agree). */
const PENDING = new Set<string>([])

/** Live code: what runs in the agents (the devnet is reached only through config). */
const LIVE = /^(agents|rewards|runtime|chains|venues|strategies|execution|governance|telegram|plans|watch|store|config|core|metrics|sentinel|notify)\//
const isTestCode = (f: string) => /\.test\.ts$|(^|\/)testing(\/|\.ts$)/.test(f)

describe('package.json and the imports', () => {
  const imports = packageImports(root)

  it('every imported package is declared', () => {
    const undeclared = [...imports].filter(([p]) => !declared.has(p) && !PENDING.has(p)).map(([p, files]) => `${p} (${files.slice(0, 3).join(', ')})`)
    expect(undeclared).toEqual([])
  })

  it('every declared package is imported (or used without an import, for a reason given above)', () => {
    const unused = [...declared].filter((p) => !imports.has(p) && !(p in USED_WITHOUT_IMPORT) && !PENDING.has(p))
    expect(unused).toEqual([])
  })

  it('devnet-only packages are declared, marked in package.json, and never imported by live code', () => {
    const devnetOnly = pkg.poolwarden?.devnetOnly ?? []
    expect(devnetOnly.length).toBeGreaterThan(0)
    for (const p of devnetOnly) expect(declared.has(p), `${p} is declared`).toBe(true)
    const leaks = devnetOnly.flatMap((p) => (imports.get(p) ?? []).filter((f) => LIVE.test(f) && !isTestCode(f)).map((f) => `${f} imports ${p}`))
    expect(leaks).toEqual([])
  })

  it('the checker sees real imports (sanity)', () => {
    expect(imports.get('viem')).toContain('chains/createChainClient.ts')
    expect(imports.get('@wormhole-foundation/sdk-connect')).toContain('chains/wormhole.ts')
  })
})
