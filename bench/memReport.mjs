// Preloaded (`node --import`) into a process a bench spawns with an IPC channel: on the message
// "mem" it collects garbage (the process runs with --expose-gc) and answers with its memory figures,
// so the bench reads the V8 heap of the real bundle under the real flags without touching its code.
process.on('message', (m) => {
  if (m !== 'mem') return
  globalThis.gc?.()
  const u = process.memoryUsage()
  process.send?.({ rss: u.rss, heapUsed: u.heapUsed, heapTotal: u.heapTotal, external: u.external })
})
// The IPC channel must not keep a process alive that would otherwise exit.
process.channel?.unref()
