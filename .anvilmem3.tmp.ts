import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createWalletClient, http, parseEther, defineChain, createPublicClient } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
const bin = '/work/wt/faults/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil'
const variants: Array<[string, string[], Record<string, string>]> = [
  ['default', [], {}],
  ['keep64', ['--prune-history', '64', '--transaction-block-keeper', '64'], {}],
  ['arena2', [], { MALLOC_ARENA_MAX: '2' }],
  ['both', ['--prune-history', '64', '--transaction-block-keeper', '64'], { MALLOC_ARENA_MAX: '2' }],
]
const base = 22390
const key = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'
const rss = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024
const procs = variants.map(([name, extra, env], i) => ({ name, port: base + i, chainId: 31337 + i, p: spawn(bin, ['--port', String(base + i), '--block-time', '0.2', '--quiet', '--chain-id', String(31337 + i), ...extra], { stdio: 'ignore', env: { ...process.env, ...env } }) }))
process.on('exit', () => { for (const x of procs) x.p.kill('SIGKILL') })
process.on('SIGTERM', () => process.exit(0))
await new Promise((r) => setTimeout(r, 2000))
const acct = privateKeyToAccount(key)
const mk = (x: (typeof procs)[0]) => { const chain = defineChain({ id: x.chainId, name: x.name, nativeCurrency: { name: 'E', symbol: 'E', decimals: 18 }, rpcUrls: { default: { http: [`http://127.0.0.1:${x.port}`] } } }); return { w: createWalletClient({ account: acct, chain, transport: http() }), p: createPublicClient({ chain, transport: http() }) } }
const cl = procs.map(mk)
const t0 = Date.now(); let n = 0
const minutes = Number(process.argv[2] ?? 8)
while (Date.now() - t0 < minutes * 60_000) {
  await Promise.all(cl.map((c) => c.w.sendTransaction({ to: `0x${((n % 10) + 1).toString(16).padStart(40, '0')}`, value: parseEther('0.001') }).catch((e) => console.log(String(e).slice(0, 100)))))
  n++
  if (n % 300 === 0) console.log(`${((Date.now() - t0) / 1000).toFixed(0)}s`, ...(await Promise.all(procs.map(async (x, i) => `${x.name}=${rss(x.p.pid!).toFixed(0)}MB@${await cl[i]!.p.getBlockNumber()}`))))
  await new Promise((r) => setTimeout(r, 150))
}
for (const [i, x] of procs.entries()) console.log(x.name, 'balance at block 5:', await cl[i]!.p.getBalance({ address: acct.address, blockNumber: 5n }).then(String, (e) => `ERR ${String(e.shortMessage ?? e).slice(0, 120)}`))
process.exit(0)
