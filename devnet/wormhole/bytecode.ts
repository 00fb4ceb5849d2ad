import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import type { Hex } from 'viem'

/**
 * The EVM bytecode Wormhole's SDK ships in its npm packages (typechain ethers factories):
 * the core bridge implementation (`@wormhole-foundation/sdk-evm-core`), the token bridge
 * implementation (`-evm-tokenbridge`) and the wrapped token implementation (`-evm`). Read from the
 * factories' source so no deep import (the packages export only their index) is needed.
 */

const require = createRequire(import.meta.url)

function packageDir(pkg: string): string {
  // The packages export "." only: resolve their entry point and walk up to the package root.
  let dir = path.dirname(require.resolve(pkg))
  while (path.basename(dir) !== pkg.split('/')[1]) {
    const up = path.dirname(dir)
    if (up === dir) throw new Error(`cannot find the package folder of ${pkg}`)
    dir = up
  }
  return dir
}

function factoryBytecode(pkg: string, factory: string): Hex {
  const file = path.join(packageDir(pkg), 'dist', 'esm', 'ethers-contracts', 'factories', `${factory}__factory.js`)
  const src = readFileSync(file, 'utf8')
  const m = /const _bytecode\s*=\s*["']((?:0x)?[0-9a-fA-F]+)["']/.exec(src)
  if (!m) throw new Error(`${file}: no _bytecode in the ${factory} factory`)
  return (m[1]!.startsWith('0x') ? m[1] : `0x${m[1]}`) as Hex
}

export interface WormholeBytecode {
  core: Hex
  tokenBridge: Hex
  tokenImplementation: Hex
}

let cached: WormholeBytecode | undefined

export function wormholeBytecode(): WormholeBytecode {
  cached ??= {
    core: factoryBytecode('@wormhole-foundation/sdk-evm-core', 'Implementation'),
    tokenBridge: factoryBytecode('@wormhole-foundation/sdk-evm-tokenbridge', 'Bridge'),
    tokenImplementation: factoryBytecode('@wormhole-foundation/sdk-evm', 'TokenImplementation'),
  }
  return cached
}
