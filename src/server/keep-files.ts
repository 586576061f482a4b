/**
 * A server peer keeps the files of the documents it holds: when a document it holds changes and
 * names `ipfs://<cid>` files, it fetches them over bitswap from the peer that is
 * likely to have them (the writer's device is connected then), so other devices can get them here
 * later, when the writer is offline. One fetch at a time per file; a failed fetch is logged and
 * tried again at the document's next commit.
 */
import type { Logger } from '@libp2p/interface'
import type { FileStore } from '../files/file-store.js'
import { fileRefsIn } from '../files/file-refs.js'
import type { StreamNode } from '../node/stream-node.js'

export function keepFilesOf (node: StreamNode, files: FileStore, log: Logger): () => void {
  const fetching = new Set<string>()
  const keep = async (cid: string): Promise<void> => {
    if (fetching.has(cid) || await files.has(cid)) return
    fetching.add(cid)
    try {
      // Reading the whole file stores every block of it (verified); the bytes themselves are dropped.
      for await (const _ of files.read(cid)) { /* keep reading */ }
      log('kept file %s', cid)
    } finally {
      fetching.delete(cid)
    }
  }
  return node.onCommit((event) => {
    void node.load(event.id)
      .then(async (snapshot) => { await Promise.all(fileRefsIn(snapshot.content).map(keep)) })
      .catch((err: unknown) => { log.error('could not keep the files of %s: %s', event.id, (err as Error).message) })
  })
}
