import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterEach, describe, expect, it } from 'vitest'
import { type TestPeer, startPeer } from './peers.js'

// A rogue peer (its own process, test/fixtures/flood-peer.ts) floods one sync protocol of a victim
// for a while, coming back with a fresh identity each time it is banned, while the test samples the
// victim's heap. The heap must stay under a bound during the flood and come back near where it was.
// CI floods each protocol FLOOD_MS; KILN_SOAK_MS=60000 floods each for a minute.
const FLOOD_MS = Number(process.env.KILN_SOAK_MS ?? 3_000)
const MiB = 1024 * 1024
/** Heap growth allowed at the flood's peak, and left once the flood is over (after GC). */
const PEAK_BOUND = 64 * MiB
const AFTER_BOUND = 8 * MiB

// A full GC between phases, without the --expose-gc flag on the whole test run.
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const FLOODER = join(import.meta.dirname, '../fixtures/flood-peer.ts')

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map(async (stop) => await stop()))
})

const heap = (): number => process.memoryUsage().heapUsed
const settledHeap = async (): Promise<number> => {
  for (let i = 0; i < 3; i++) { gc(); await new Promise((resolve) => setTimeout(resolve, 50)) }
  return heap()
}

interface FloodResult { protocol: string, sent: number, identities: number }

/** The flooder process, aimed at `victim`: `run` floods one protocol for `ms` and resolves with its report. */
function startFlooder (victim: TestPeer): { run: (protocol: string, ms: number) => Promise<FloodResult> } {
  const child = spawn(process.execPath, ['--import', 'tsx', FLOODER, victim.libp2p.getMultiaddrs()[0].toString()], { stdio: ['pipe', 'pipe', 'pipe'] })
  cleanups.push(async () => { if (child.exitCode == null) child.kill('SIGKILL') })
  let err = ''
  child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString() })
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  return {
    async run (protocol, ms) {
      child.stdin.write(`${protocol} ${ms}\n`)
      const next = await lines.next()
      if (next.done === true) throw new Error(`the flooder exited: ${err}`)
      return JSON.parse(next.value) as FloodResult
    }
  }
}

describe('sync: memory stays bounded under a flood of each protocol', () => {
  it('soak: blocks, heads, recon and gossip floods from fresh identities leave the heap near where it was', { timeout: 4 * FLOOD_MS + 90_000 }, async () => {
    const victim = await startPeer('victim')
    cleanups.push(victim.stop)
    const flooder = startFlooder(victim)
    const mib = (bytes: number): string => (bytes / MiB).toFixed(1)
    for (const protocol of ['blocks', 'heads', 'recon', 'gossip']) {
      const was = victim.sync.status()
      const before = await settledHeap()
      let peak = before
      const sampler = setInterval(() => { peak = Math.max(peak, heap()) }, 50)
      let result: FloodResult
      try {
        result = await flooder.run(protocol, FLOOD_MS)
      } finally {
        clearInterval(sampler)
      }
      // What the flood left (queued ingests, timers, closing streams) drains within a few seconds.
      let after = await settledHeap()
      for (let i = 0; i < 20 && after - before > AFTER_BOUND; i++) {
        await new Promise((resolve) => setTimeout(resolve, 500))
        after = await settledHeap()
      }
      const status = victim.sync.status()
      console.log(`soak ${protocol}: ${result.sent} ${protocol === 'gossip' ? 'messages' : 'opens'} from ${result.identities} identities in ${FLOOD_MS} ms, ` +
        `heap before/peak/after ${mib(before)}/${mib(peak)}/${mib(after)} MiB, ${status.penalties - was.penalties} penalties, ${status.banned - was.banned} banned`)
      expect(result.sent).toBeGreaterThan(0)
      // Requests for what is not here are charged past the free allowance (recon and gossip floods are slowed by their rates instead).
      if (protocol === 'blocks' || protocol === 'heads') expect(status.penalties - was.penalties, `${protocol}: penalties`).toBeGreaterThan(0)
      expect(peak - before, `${protocol}: peak growth`).toBeLessThan(PEAK_BOUND)
      expect(after - before, `${protocol}: growth left after the flood`).toBeLessThan(AFTER_BOUND)
    }
  })
})
