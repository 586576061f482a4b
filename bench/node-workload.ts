/**
 * One workload for every store, in Node or in a browser: creates, updates, loads, and queries over
 * a node filled to `total` streams. Each figure is operations per second (or ms for one query).
 */
import type { StreamNode } from '../src/node/stream-node.js'

export interface WorkloadSizes { creates: number, updates: number, loads: number, total: number }
export interface WorkloadFigures { createsPerSec: number, updatesPerSec: number, loadsPerSec: number, fillPerSec: number, queryMs: number, queryItems: number }

export const DEFAULT_SIZES: WorkloadSizes = { creates: 500, updates: 500, loads: 1000, total: 10_000 }
const FAMILIES = 20
const FILL_CONCURRENCY = 16

export async function runWorkload (node: StreamNode, sizes: WorkloadSizes = DEFAULT_SIZES): Promise<WorkloadFigures> {
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
