/**
 * The browser keeps the files of its pinned documents on hand: when a document is pinned, and
 * whenever a pinned document changes (a write here or one synced from a peer), the files its
 * current content names are fetched from peers at once rather than on the first read, so they are
 * there offline. One fetch at a time per file; a failure is logged and tried again at the
 * document's next commit or pin. Files of documents that are not pinned still come on demand.
 */
import type { FileStore } from '../files/file-store.js'
import { createFileFetcher } from '../files/file-fetcher.js'
import { fileRefsIn } from '../files/file-refs.js'
import type { Logger } from '../logger.js'
import type { StreamNode } from '../node/stream-node.js'

export interface PinnedFiles {
  /** Fetches the files of a document just pinned (resolves once they are held, or on a failure, logged). */
  pinned: (id: string) => Promise<void>
  stop: () => void
}

export function keepPinnedFiles (node: StreamNode, files: () => Promise<FileStore>, log: Logger): PinnedFiles {
  const fetch = createFileFetcher()
  const keep = async (store: FileStore, cid: string): Promise<void> => {
    if (await fetch(store, cid)) log('fetched file %s of a pinned document', cid)
  }
  const keepFilesOf = async (id: string): Promise<void> => {
    try {
      const refs = fileRefsIn((await node.load(id)).content)
      if (refs.length === 0) return
      const store = await files()
      await Promise.all(refs.map(async (cid) => { await keep(store, cid) }))
    } catch (err) {
      log.error('could not fetch the files of pinned document %s: %s', id, (err as Error).message)
    }
  }
  const stop = node.onCommit((event) => {
    void node.isPinned(event.id)
      .then(async (pinned) => { if (pinned) await keepFilesOf(event.id) })
      .catch((err: unknown) => { log.error('could not tell whether %s is pinned: %s', event.id, (err as Error).message) })
  })
  return { pinned: keepFilesOf, stop }
}
