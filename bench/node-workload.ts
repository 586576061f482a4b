/**
 * One workload for every store, in Node or in a browser: creates, updates, loads, and queries over
 * a node filled to `total` streams. Each figure is operations per second (or ms for one query).
 */
import type { StreamNode } from '../src/node/stream-node.js'

/** Anything with the node's write/read calls: a StreamNode in Node, or a page's `connect()` client. */
export type WorkloadTarget = Pick<StreamNode, 'create' | 'update' | 'load' | 'query'>

export interface WorkloadSizes { creates: number, updates: number, loads: number, total: number }
export interface WorkloadFigures { createsPerSec: number, updatesPerSec: number, loadsPerSec: number, fillPerSec: number, queryMs: number, queryItems: number }

export const DEFAULT_SIZES: WorkloadSizes = { creates: 500, updates: 500, loads: 1000, total: 10_000 }
const FAMILIES = 20
const FILL_CONCURRENCY = 16

export async function runWorkload (node: WorkloadTarget, sizes: WorkloadSizes = DEFAULT_SIZES): Promise<WorkloadFigures> {
  const ids: string[] = []
  let t = performance.now()
  for (let i = 0; i < sizes.creates; i++) ids.push((await node.create({ content: { n: i }, family: `f${i % FAMILIES}` })).id)
  const createsPerSec = perSec(sizes.creates, t)

  t = performance.now()
  for (let i = 0; i < sizes.updates; i++) await node.update(ids[i % ids.length], { content: { n: -i } })
  const updatesPerSec = perSec(sizes.updates, t)

  t = performance.now()
  for (let i = 0; i < sizes.loads; i++) await node.load(ids[i % ids.length])
  const loadsPerSec = perSec(sizes.loads, t)

  // Fill to `total` streams, several writers at once (different streams write concurrently).
  t = performance.now()
  let next = sizes.creates
  await Promise.all(Array.from({ length: FILL_CONCURRENCY }, async () => {
    while (next < sizes.total) {
      const i = next++
      await node.create({ content: { n: i }, family: `f${i % FAMILIES}` })
    }
  }))
  const fillPerSec = perSec(sizes.total - sizes.creates, t)

  t = performance.now()
  const page = await node.query({ family: 'f7' }, { limit: 100 })
  const queryMs = performance.now() - t
  return { createsPerSec, updatesPerSec, loadsPerSec, fillPerSec, queryMs, queryItems: page.items.length }
}

function perSec (count: number, since: number): number {
  return Math.round(count / ((performance.now() - since) / 1000))
}

/** Per-call latency of `load` and `update`, in ms: median and 99th percentile. */
export async function measureLatency (node: WorkloadTarget, ids: string[], count: number): Promise<{ load: Percentiles, update: Percentiles }> {
  const loads: number[] = []
  const updates: number[] = []
  for (let i = 0; i < count; i++) {
    let t = performance.now()
    await node.load(ids[i % ids.length])
    loads.push(performance.now() - t)
    t = performance.now()
    await node.update(ids[i % ids.length], { content: { latency: i } })
    updates.push(performance.now() - t)
  }
  return { load: percentiles(loads), update: percentiles(updates) }
}

export interface Percentiles { p50: number, p99: number }

/** Median and 99th percentile of samples (ms), to two decimals. */
export function percentiles (samples: number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b)
  const at = (q: number): number => Number(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toFixed(2))
  return { p50: at(0.5), p99: at(0.99) }
}
