/**
 * Test runner (child process) for the anvil leak test (execution/committee/forkLeak.devnet.test.ts):
 * starts an anvil the way production or the devnet does, prints `ANVIL <pid> <port>` and waits
 * until it is killed, never stopping the anvil itself.
 * argv: `fork <rpcUrl> <pdeathsig|watchdog>`: the committee's fork of `<rpcUrl>` at its head
 * (startFork, execution/committee/forkSimulate.ts), tied as given;
 * `devnet <port>`: a devnet chain (startAnvil, devnet/anvil.ts) on `<port>`.
 */
import { createPublicClient, http } from 'viem'
import { startAnvil } from '../devnet/anvil'
import { forkAnvilPath, startFork } from '../execution/committee/forkSimulate'

async function main(): Promise<void> {
  const [mode, arg, tie] = process.argv.slice(2)
  if (mode === 'fork' && arg && (tie === 'pdeathsig' || tie === 'watchdog')) {
    const block = await createPublicClient({ transport: http(arg) }).getBlockNumber()
    const fork = await startFork({ anvil: forkAnvilPath(undefined), rpcUrl: arg, block, timeoutMs: 60_000, tie })
    process.stdout.write(`ANVIL ${fork.pid} ${new URL(fork.url).port}\n`)
  } else if (mode === 'devnet' && arg) {
    const node = await startAnvil({ port: Number(arg), chainId: 31337 })
    process.stdout.write(`ANVIL ${node.pid} ${node.port}\n`)
  } else {
    throw new Error('usage: anvilHolder.ts fork <rpcUrl> <pdeathsig|watchdog> | devnet <port>')
  }
  await new Promise(() => undefined)
}

main().catch((err: unknown) => {
  process.stdout.write(`ERROR ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
