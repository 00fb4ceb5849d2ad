import { createHash } from 'node:crypto'
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Abi, Hex } from 'viem'

/**
 * Compiles contracts/ with solc-js (offline, pinned by package.json), resolving
 * `@openzeppelin/...` imports from node_modules. Artifacts (abi + bytecode) are cached in
 * `.devnet/build/<key>.json`, the key being a hash of the sources, the solc version, the
 * OpenZeppelin version and the compiler settings: a second run with unchanged sources is a file read.
 */

export interface Artifact {
  contractName: string
  sourceName: string
  abi: Abi
  /** Creation bytecode. */
  bytecode: Hex
  /** Runtime bytecode (what `anvil_setCode` installs). */
  deployedBytecode: Hex
}

export type Artifacts = Record<string, Artifact>

export type CompileProgress =
  | { phase: 'cache-hit'; key: string; file: string }
  | { phase: 'compiling'; key: string; sources: number }
  | { phase: 'compiled'; key: string; file: string; contracts: number; ms: number }

export interface CompileOptions {
  /** Folder of the .sol files (default: <repo>/contracts). */
  contractsDir?: string
  /** Cache folder (default: <repo>/.devnet/build). */
  cacheDir?: string
  /** Ignore the cache. */
  force?: boolean
  onProgress?: (p: CompileProgress) => void
}

export class CompileError extends Error {
  override name = 'CompileError'
  constructor(readonly errors: string[]) {
    super(`solc: ${errors.length} error(s)\n${errors.join('\n')}`)
  }
}

const require = createRequire(import.meta.url)
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

const SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: 'cancun',
  outputSelection: {} as Record<string, Record<string, string[]>>,
} as const

const OUTPUTS = ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object']

interface SolcOutput {
  errors?: Array<{ severity: 'error' | 'warning' | 'info'; formattedMessage: string }>
  contracts?: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>>
}

interface Solc {
  version(): string
  compile(input: string, callbacks: { import: (p: string) => { contents: string } | { error: string } }): string
}

function loadSolc(): Solc {
  return require('solc') as Solc
}

function ozRoot(): string {
  return path.dirname(require.resolve('@openzeppelin/contracts/package.json'))
}

function ozVersion(): string {
  return (JSON.parse(readFileSync(path.join(ozRoot(), 'package.json'), 'utf8')) as { version: string }).version
}

function solcPackageVersion(): string {
  return (JSON.parse(readFileSync(require.resolve('solc/package.json'), 'utf8')) as { version: string }).version
}

async function listSol(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) out.push(...(await listSol(p)))
    else if (e.name.endsWith('.sol')) out.push(p)
  }
  return out.sort()
}

/** Import callback: `@openzeppelin/contracts/...` from node_modules; anything else is an error. */
function findImport(importPath: string): { contents: string } | { error: string } {
  const prefix = '@openzeppelin/contracts/'
  if (!importPath.startsWith(prefix)) return { error: `cannot resolve import "${importPath}" (only ${prefix}… is resolved from node_modules)` }
  try {
    return { contents: readFileSync(path.join(ozRoot(), importPath.slice(prefix.length)), 'utf8') }
  } catch (err) {
    return { error: `cannot read "${importPath}": ${(err as Error).message}` }
  }
}

/** Compiles (or loads from the cache) every contract under contracts/. */
export async function compileContracts(opts: CompileOptions = {}): Promise<Artifacts> {
  const contractsDir = opts.contractsDir ?? path.join(REPO_ROOT, 'contracts')
  const cacheDir = opts.cacheDir ?? path.join(REPO_ROOT, '.devnet', 'build')
  const files = await listSol(contractsDir)
  const sources: Record<string, { content: string }> = {}
  for (const f of files) {
    const sourceName = path.posix.join('contracts', path.relative(contractsDir, f).split(path.sep).join('/'))
    sources[sourceName] = { content: await readFile(f, 'utf8') }
  }

  const hash = createHash('sha256')
  hash.update(JSON.stringify({ solc: solcPackageVersion(), oz: ozVersion(), settings: SETTINGS, outputs: OUTPUTS }))
  for (const [name, { content }] of Object.entries(sources)) hash.update(`\0${name}\0${content}`)
  const key = hash.digest('hex').slice(0, 20)
  const file = path.join(cacheDir, `${key}.json`)

  if (!opts.force) {
    try {
      const cached = JSON.parse(await readFile(file, 'utf8')) as { key: string; artifacts: Artifacts }
      if (cached.key === key) {
        opts.onProgress?.({ phase: 'cache-hit', key, file })
        return cached.artifacts
      }
    } catch {
      /* not cached (or unreadable): compile */
    }
  }

  opts.onProgress?.({ phase: 'compiling', key, sources: files.length })
  const t0 = performance.now()
  const outputSelection: Record<string, Record<string, string[]>> = {}
  for (const name of Object.keys(sources)) outputSelection[name] = { '*': OUTPUTS }
  const input = { language: 'Solidity', sources, settings: { ...SETTINGS, outputSelection } }
  const solc = loadSolc()
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport })) as SolcOutput
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error').map((e) => e.formattedMessage)
  if (errors.length > 0) throw new CompileError(errors)

  const artifacts: Artifacts = {}
  for (const [sourceName, contracts] of Object.entries(output.contracts ?? {})) {
    if (!sourceName.startsWith('contracts/')) continue
    for (const [contractName, c] of Object.entries(contracts)) {
      if (artifacts[contractName]) throw new CompileError([`two contracts named ${contractName} (${artifacts[contractName].sourceName}, ${sourceName}): names must be unique`])
      artifacts[contractName] = {
        contractName,
        sourceName,
        abi: c.abi,
        bytecode: `0x${c.evm.bytecode.object}`,
        deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
      }
    }
  }
  const ms = Math.round(performance.now() - t0)

  // Atomic write: concurrent compilers (a test run and `npm start`) never see half a file.
  await mkdir(cacheDir, { recursive: true })
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`
  await writeFile(tmp, JSON.stringify({ key, solc: solc.version(), artifacts }))
  await rename(tmp, file)
  opts.onProgress?.({ phase: 'compiled', key, file, contracts: Object.keys(artifacts).length, ms })
  return artifacts
}

/** The artifact of a contract, or a clear error naming the ones there are. */
export function getArtifact(artifacts: Artifacts, name: string): Artifact {
  const a = artifacts[name]
  if (!a) throw new Error(`no artifact "${name}" (compiled: ${Object.keys(artifacts).sort().join(', ')})`)
  if (a.bytecode === '0x') throw new Error(`artifact "${name}" has no bytecode (abstract contract or interface)`)
  return a
}
