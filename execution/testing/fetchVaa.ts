/**
 * Test child process (execution/bridgePacing.devnet.test.ts): one "agent" fetching one VAA through
 * the SDK bridge port, paced through the shared file `pacing`. Prints one JSON line:
 * { ok: true, vaa: null | string } or { ok: false, error: <error name>, message }.
 *   node --import tsx execution/testing/fetchVaa.ts <config.json> <pacing> <sourceChain> <emitter> <sequence>
 */
import { readFileSync } from 'node:fs'
import type { Hex } from 'viem'
import type { Config } from '../../config/schema'
import { openRateLimits } from '../../store/rateLimits'
import { createSdkBridgePort } from '../bridgeSdk'

const [configPath, pacingPath, sourceChain, emitter, sequence] = process.argv.slice(2)
const config = JSON.parse(readFileSync(configPath!, 'utf8')) as Pick<Config, 'chains' | 'wormhole'>
const pacing = await openRateLimits({ path: pacingPath! })
try {
  const vaa = await createSdkBridgePort(config, undefined, { pacing }).fetchVaa(sourceChain!, { emitter: emitter as Hex, sequence: BigInt(sequence!) })
  console.log(JSON.stringify({ ok: true, vaa }))
} catch (err) {
  console.log(JSON.stringify({ ok: false, error: (err as Error).name, message: (err as Error).message }))
} finally {
  await pacing.close()
}
