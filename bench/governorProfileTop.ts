/**
 * Reads a V8 .cpuprofile (node --cpu-prof; `POOLWARDEN_GOVERNOR_CPU_PROF=<dir>` on
 * bench/governorCpu.ts) and prints where the time went: self time per function and per file
 * (bundled: the bundle's source path comments are not kept, so files are the bundle's), and
 * total (inclusive) time of the functions named on the command line.
 *
 *   POOLWARDEN_PROFILE_FROM_S=60 npx tsx bench/governorProfileTop.ts <file.cpuprofile> [top=25] [fnName …]
 */
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
  startTime: number
  endTime: number
}

export function profileTop(profile: Profile, top: number, inclusive: readonly string[] = [], fromS = 0): string[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  // Samples from `fromS` seconds after the profile's start only (e.g. the steady state).
  const selfUs = new Map<number, number>()
  let t = 0
  profile.samples.forEach((id, i) => {
    t += profile.timeDeltas[i] ?? 0
    if (t >= fromS * 1e6) selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
  })
  const label = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber + 1}`
  const fnSelf = new Map<string, number>()
  const incl = new Map<string, number>()
  let total = 0
  let idle = 0
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!
    total += us
    if (n.callFrame.functionName === '(idle)') idle += us
    fnSelf.set(label(n), (fnSelf.get(label(n)) ?? 0) + us)
    // Inclusive time of the named functions: every ancestor frame counts once per sample.
    const seen = new Set<string>()
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const name = byId.get(cur)!.callFrame.functionName
      if (inclusive.includes(name) && !seen.has(name)) {
        seen.add(name)
        incl.set(name, (incl.get(name) ?? 0) + us)
      }
    }
  }
  const ms = (us: number) => `${(us / 1000).toFixed(1)} ms`
  const out = [`profile from ${fromS} s: ${ms(profile.endTime - profile.startTime - fromS * 1e6)} wall, ${ms(total - idle)} sampled busy (idle ${ms(idle)})`]
  for (const [k, v] of [...fnSelf].sort((a, b) => b[1] - a[1]).slice(0, top)) out.push(`${ms(v).padStart(10)}  ${k}`)
  for (const name of inclusive) out.push(`inclusive ${name}: ${ms(incl.get(name) ?? 0)}`)
  return out
}

if (process.argv[1]?.endsWith('governorProfileTop.ts')) {
  const [file, topArg, ...names] = process.argv.slice(2)
  if (!file) throw new Error('usage: governorProfileTop.ts <file.cpuprofile> [top] [functionName …]')
  for (const line of profileTop(JSON.parse(readFileSync(file, 'utf8')) as Profile, Number(topArg ?? 25), names, Number(process.env.POOLWARDEN_PROFILE_FROM_S ?? 0))) console.log(line)
}
