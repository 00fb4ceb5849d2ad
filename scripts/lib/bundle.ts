import { build } from 'esbuild'
import { cpSync, mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/**
 * Bundles entry points (name → file relative to the project root) into `outDir` as ESM files,
 * tree-shaken, for node 20: one file per process so it loads only what it runs. Native or
 * worker-based packages stay in node_modules (so `outDir` must be inside the project), and the
 * store migrations (read beside the module at run time) are copied next to the bundles.
 */
export async function bundle(entries: Record<string, string>, outDir: string): Promise<void> {
  rmSync(outDir, { recursive: true, force: true })
  mkdirSync(outDir, { recursive: true })
  await build({
    entryPoints: Object.fromEntries(Object.entries(entries).map(([name, file]) => [name, join(ROOT, file)])),
    outdir: outDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    // Keep every class's and function's .name: node-fetch (under grammY) accepts a signal only if
    // its constructor is named "AbortSignal", and bundling renamed abort-controller's class to
    // "AbortSignal2" (a global of that name is referenced elsewhere) — every Bot API call of the
    // bundled bot failed with "Expected signal to be an instanceof AbortSignal".
    keepNames: true,
    external: ['sqlite3', 'pino'],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'warning',
  })
  cpSync(join(ROOT, 'store/migrations'), join(outDir, 'migrations'), { recursive: true })
}
