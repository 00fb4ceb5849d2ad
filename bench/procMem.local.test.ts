import { spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { descendants, mallocHeapMb, parseSmapsRollup, procMem, treeMem } from './procMem'

describe('process memory from /proc', () => {
  it('reads RSS, PSS and USS (private clean + private dirty) from smaps_rollup text', () => {
    const text = [
      '00400000-7fff5b161000 ---p 00000000 00:00 0                              [rollup]',
      'Rss:               40960 kB',
      'Pss:               10240 kB',
      'Pss_Dirty:          6144 kB',
      'Shared_Clean:      34816 kB',
      'Private_Clean:      1024 kB',
      'Private_Dirty:      5120 kB',
    ].join('\n')
    expect(parseSmapsRollup(text)).toEqual({ rssMb: 40, pssMb: 10, ussMb: 6 })
  })

  it('finds a grandchild among the descendants and sums the tree', async () => {
    // node → sh → sleep: the sleep is a grandchild of the node child.
    const child = spawn(process.execPath, ['-e', "require('child_process').spawn('sh', ['-c', 'sleep 30'], { stdio: 'ignore' }); setTimeout(() => {}, 30000)"], { stdio: 'ignore' })
    try {
      let tree: number[] = []
      for (let i = 0; i < 100 && tree.length < 2; i++) {
        await new Promise((r) => setTimeout(r, 50))
        tree = descendants(child.pid!)
      }
      expect(tree.length).toBeGreaterThanOrEqual(2)
      expect(descendants(process.pid)).toContain(child.pid)
      const own = procMem(child.pid!)
      const all = treeMem(child.pid!)
      expect(own.rssMb).toBeGreaterThan(0)
      expect(own.pssMb).toBeLessThanOrEqual(own.rssMb)
      expect(all.rssMb).toBeGreaterThan(own.rssMb)
    } finally {
      for (const p of descendants(child.pid!)) process.kill(p, 'SIGKILL')
      child.kill('SIGKILL')
    }
  })

  it('a pid that does not exist reads as zero', () => {
    expect(procMem(2 ** 22 + 7)).toEqual({ rssMb: 0, pssMb: 0, ussMb: 0 })
  })

  it("reads the [heap] mapping of a live process (part of its private memory) and 0 for a gone one", () => {
    const heap = mallocHeapMb(process.pid)
    expect(heap).toBeGreaterThan(0)
    expect(heap).toBeLessThan(procMem(process.pid).ussMb)
    expect(mallocHeapMb(2 ** 22 + 7)).toBe(0)
  })
})
