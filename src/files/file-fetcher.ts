import type { FileStore } from './file-store.js'

/**
 * Fetches whole files into a store, one fetch at a time per file: reading a file stores every
 * block of it (each verified) and the bytes are dropped. Resolves true when it fetched, false
 * when the file was already held or is being fetched.
 */
export function createFileFetcher (): (store: FileStore, cid: string) => Promise<boolean> {
  const fetching = new Set<string>()
  return async (store, cid) => {
    if (fetching.has(cid) || await store.has(cid)) return false
    fetching.add(cid)
    try {
      for await (const _ of store.read(cid)) { /* keep reading */ }
      return true
    } finally {
      fetching.delete(cid)
    }
  }
}
