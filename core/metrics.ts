/**
 * What only a process knows about itself, carried in its heartbeat so the one exporter (agents/
 * metrics.ts) can expose it: RPC requests, errors and time per URL host (never a path or a key:
 * chains/createChainClient.ts passes the host label), and the process's CPU and memory.
 * Counters are cumulative since the process started (Prometheus handles the reset at a restart).
 */

export interface RpcHostStats {
  requests: number
  errors: number
  /** Summed request time, seconds. */
  seconds: number
}

const rpc = new Map<string, RpcHostStats>()

/** Counts one HTTP request to an RPC host: whether it failed and how long it took. */
export function recordRpcRequest(host: string, ok: boolean, ms: number): void {
  let s = rpc.get(host)
  if (!s) rpc.set(host, (s = { requests: 0, errors: 0, seconds: 0 }))
  s.requests++
  if (!ok) s.errors++
  s.seconds += Math.max(0, ms) / 1000
}

/** This process's RPC counters by host (a copy). */
export function rpcSnapshot(): Record<string, RpcHostStats> {
  return Object.fromEntries([...rpc].map(([h, s]) => [h, { ...s, seconds: Math.round(s.seconds * 1e6) / 1e6 }]))
}

export interface ProcessStats {
  /** User + system CPU time since start, seconds. */
  cpuSeconds: number
  rssBytes: number
  heapUsedBytes: number
  /** V8's committed heap (what the heap holds of RSS, live or not). */
  heapTotalBytes: number
  /** Memory of C++ objects tied to JS ones (Buffers, ArrayBuffers). */
  externalBytes: number
  /** Process start, ms since the epoch. */
  startedAt: number
}

const startedAt = Date.now() - Math.round(process.uptime() * 1000)

export function processStats(): ProcessStats {
  const cpu = process.cpuUsage()
  const mem = process.memoryUsage()
  return { cpuSeconds: (cpu.user + cpu.system) / 1e6, rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, heapTotalBytes: mem.heapTotal, externalBytes: mem.external, startedAt }
}

/** The fields every heartbeat carries (runtime/createAgent.ts adds them through the store). */
export function heartbeatExtras(): { process: ProcessStats; rpc: Record<string, RpcHostStats> } {
  return { process: processStats(), rpc: rpcSnapshot() }
}
