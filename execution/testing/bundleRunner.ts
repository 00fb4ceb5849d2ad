import { build } from 'esbuild'
import { cpSync, mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Bundles execution/testing/runPlan.ts with esbuild into `.devnet/test-build/<name>/` (inside
 * the project, so `sqlite3` and `pino` resolve from node_modules), with the store migrations
 * beside it. A bundled child starts in ~0.2 s instead of ~1.5 s under tsx: the kill test starts
 * the runner dozens of times.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url))

export async function bundleRunner(name = `runPlan-${process.pid}`): Promise<{ file: string; remove(): void }> {
  const dir = join(ROOT, '.devnet', 'test-build', name)
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  await build({
    entryPoints: { runPlan: join(ROOT, 'execution/testing/runPlan.ts') },
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['sqlite3', 'pino'],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'warning',
  })
  cpSync(join(ROOT, 'store/migrations'), join(dir, 'migrations'), { recursive: true })
  return { file: join(dir, 'runPlan.mjs'), remove: () => rmSync(dir, { recursive: true, force: true }) }
}
