/**
 * The browser's file blocks: blockstore-idb in an IndexedDB database of its own (`kiln-files:<node
 * name>`), beside the node's store, behind the verifying, quota-keeping FileBlockstore.
 */
import { IDBBlockstore } from 'blockstore-idb'
import { StoreFullError } from '../errors.js'
import { createFileBlockstore, type FileBlockstore } from './file-blockstore.js'

export const filesDatabase = (nodeName: string): string => `kiln-files:${nodeName}`

export async function openIdbBlocks (nodeName: string, quotaBytes?: number, now?: () => number): Promise<{ blocks: FileBlockstore, close: () => Promise<void> }> {
  const store = new IDBBlockstore(filesDatabase(nodeName))
  await store.open()
  const blocks = createFileBlockstore({
    store,
    quotaBytes,
    now,
    // blockstore-idb wraps IndexedDB's error in its own, keeping the text.
    toKilnError: (err) => /QuotaExceeded/i.test(`${(err as Error).name} ${(err as Error).message}`)
      ? new StoreFullError('The browser\'s storage quota is full; nothing of this file was kept', undefined, { cause: err })
      : err
  })
  return { blocks, close: async () => { await store.close() } }
}
