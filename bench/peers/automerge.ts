/**
 * The same workload on automerge-repo, run side by side as a reference point. Automerge neither
 * signs nor verifies changes, so it does strictly less per write than Kiln does.
 */
import { Repo, type StorageAdapterInterface } from '@automerge/automerge-repo'
import type { WorkloadSizes } from '../node-workload.js'

export interface AutomergeFigures { createsPerSec: number, updatesPerSec: number, loadsPerSec: number }

export async function runAutomerge (storage: () => StorageAdapterInterface, sizes: WorkloadSizes): Promise<AutomergeFigures> {
  const repo = new Repo({ storage: storage(), network: [] })
  const urls: string[] = []
  let t = performance.now()
  for (let i = 0; i < sizes.creates; i++) {
    const handle = repo.create<{ n: number, family: string }>({ n: i, family: `f${i % 20}` })
    urls.push(handle.url)
    await repo.flush([handle.documentId]) // durable before the next write, as Kiln acknowledges
  }
  const createsPerSec = perSec(sizes.creates, t)
  t = performance.now()
  for (let i = 0; i < sizes.updates; i++) {
    const handle = await repo.find<{ n: number }>(urls[i % urls.length] as never)
    handle.change((doc) => { doc.n = -i })
    await repo.flush([handle.documentId])
  }
  const updatesPerSec = perSec(sizes.updates, t)
  await repo.shutdown()
  // Loads from storage: a fresh repo has nothing cached.
  const fresh = new Repo({ storage: storage(), network: [] })
  t = performance.now()
  for (let i = 0; i < sizes.loads; i++) await fresh.find(urls[i % urls.length] as never)
  const loadsPerSec = perSec(sizes.loads, t)
  await fresh.shutdown()
  return { createsPerSec, updatesPerSec, loadsPerSec }
}

function perSec (count: number, since: number): number {
  return Math.round(count / ((performance.now() - since) / 1000))
}
