/**
 * Memory of a process as Linux accounts it (/proc/<pid>/smaps_rollup), for the benches.
 *
 * - RSS: every page the process has resident, shared ones included. Summing RSS over processes
 *   counts a shared page once per process: twenty node processes map the same ~34 MB of the node
 *   binary's text, so an RSS sum overstates what they cost the machine by ~34 MB × 19.
 * - PSS (proportional set size): each shared page divided among the processes that map it. The
 *   sum of PSS over a group of processes is the memory the group uses (what `smem` reports).
 * - USS (unique set size): the process's private pages only — what killing it would free.
 */
import { readdirSync, readFileSync } from 'node:fs'

export interface ProcMem {
  rssMb: number
  pssMb: number
  ussMb: number
}

const ZERO: ProcMem = { rssMb: 0, pssMb: 0, ussMb: 0 }

/** Parses smaps_rollup's text (kB lines). Exported for its test. */
export function parseSmapsRollup(text: string): ProcMem {
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0)
  return { rssMb: kb('Rss') / 1024, pssMb: kb('Pss') / 1024, ussMb: (kb('Private_Clean') + kb('Private_Dirty')) / 1024 }
}

/** The memory of `pid` (zeros when it is gone or unreadable). */
export function procMem(pid: number): ProcMem {
  try {
    return parseSmapsRollup(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))
  } catch {
    return ZERO
  }
}

/**
 * Resident MB of the process's `[heap]` mapping: glibc malloc's main arena (grown with brk), where
 * the main thread's native allocations live — Buffers, the HTTP parser, native modules. It only
 * shrinks from the top, so a burst of allocations leaves it high (0 when unreadable).
 */
export function mallocHeapMb(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/smaps`, 'utf8')
    const at = text.search(/^[0-9a-f]+-[0-9a-f]+ .*\[heap\]$/m)
    if (at < 0) return 0
    return Number(/^Rss:\s+(\d+) kB/m.exec(text.slice(at))?.[1] ?? 0) / 1024
  } catch {
    return 0
  }
}

/** Every live descendant of `pid` (children, their children…), from /proc/<n>/stat. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>()
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8')
      // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      const list = children.get(ppid) ?? []
      list.push(Number(d))
      children.set(ppid, list)
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = []
  const stack = [...(children.get(pid) ?? [])]
  while (stack.length) {
    const p = stack.pop()!
    out.push(p)
    stack.push(...(children.get(p) ?? []))
  }
  return out
}

/** `pid` with every descendant, summed (a PM2 app and, say, the forked anvil it started). */
export function treeMem(pid: number): ProcMem {
  return [pid, ...descendants(pid)].map(procMem).reduce((a, b) => ({ rssMb: a.rssMb + b.rssMb, pssMb: a.pssMb + b.pssMb, ussMb: a.ussMb + b.ussMb }), ZERO)
}
