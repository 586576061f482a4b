/**
 * A server peer keeps the files of the documents it holds: when a document it holds changes and
 * names `ipfs://<cid>` files, it fetches them over bitswap from the peer that is
 * likely to have them (the writer's device is connected then), so other devices can get them here
 * later, when the writer is offline. One fetch at a time per file; a failed fetch is logged and
 * tried again at the document's next commit.
 */
import type { Logger } from '@libp2p/interface'
import type { FileStore } from '../files/file-store.js'
import { createFileFetcher } from '../files/file-fetcher.js'
import { fileRefsIn } from '../files/file-refs.js'
import type { StreamNode } from '../node/stream-node.js'

export function keepFilesOf (node: StreamNode, files: FileStore, log: Logger): () => void {
  const fetch = createFileFetcher()
  const keep = async (cid: string): Promise<void> => {
    if (await fetch(files, cid)) log('kept file %s', cid)
  }
  return node.onCommit((event) => {
    void node.load(event.id)
      .then(async (snapshot) => { await Promise.all(fileRefsIn(snapshot.content).map(keep)) })
      .catch((err: unknown) => { log.error('could not keep the files of %s: %s', event.id, (err as Error).message) })
  })
}
