/**
 * Runs in Chromium, driven by bench/browser.ts: the workload through the real client (page →
 * Comlink → SharedWorker → IndexedDB), page→worker latency, reopening a full store, and
 * automerge-repo and OrbitDB 4 (helia's blocks and pins in IndexedDB) in the same page as references.
 */
import { IndexedDBStorageAdapter } from '@automerge/automerge-repo-storage-indexeddb'
import { connect } from '../../src/client/index.js'
import { DEFAULT_SIZES, measureLatency, runWorkload } from '../node-workload.js'
import { runAutomerge } from '../peers/automerge.js'
import { runOrbitDBWorkload } from '../peers/orbitdb-workload.js'

declare global {
  interface Window { bench: typeof bench }
}

const bench = {
  async kiln (sizes = DEFAULT_SIZES) {
    const kiln = await connect({ name: 'bench' })
    const figures = await runWorkload(kiln, sizes)
    const ids = (await kiln.query({ family: 'f1' }, { limit: 50 })).items.map((s) => s.id)
    const latency = await measureLatency(kiln, ids, 300)
    return { ...figures, latency, status: await kiln.status() }
  },
  /** `count` creates in writeMany calls of `perCall` (one round trip and one transaction each): creates/s. */
  async kilnBatch ({ count, perCall }: { count: number, perCall: number }) {
    const kiln = await connect({ name: 'bench-batch' })
    const t = performance.now()
    for (let from = 0; from < count; from += perCall) {
      const writes = Array.from({ length: Math.min(perCall, count - from) }, (_, i) => ({ create: { content: { n: from + i }, family: `b${(from + i) % 20}` } }))
      await kiln.writeMany(writes)
    }
    const perSec = Math.round(count / ((performance.now() - t) / 1000))
    return { perSec, streams: (await kiln.status()).streams }
  },
  /** A fresh page on a full store: connect (the worker starts and opens IndexedDB) + first query. */
  async reopen () {
    const t = performance.now()
    const kiln = await connect({ name: 'bench' })
    const page = await kiln.query({ family: 'f3' }, { limit: 10 })
    return { openMs: performance.now() - t, items: page.items.length, streams: (await kiln.status()).streams }
  },
  async automerge (sizes = DEFAULT_SIZES) {
    return await runAutomerge(() => new IndexedDBStorageAdapter('automerge-bench'), sizes)
  },
  async orbitdb (sizes = DEFAULT_SIZES) {
    return await runOrbitDBWorkload('orbitdb-bench-page', sizes)
  }
}
window.bench = bench
document.querySelector('#status')!.textContent = 'ready'
