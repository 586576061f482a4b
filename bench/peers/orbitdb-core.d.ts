/** The part of @orbitdb/core 4 (plain JavaScript, no types of its own) that the benches use. */
declare module '@orbitdb/core' {
  /** An oplog entry as OrbitDB decodes it: `clock.time` is its Lamport time. */
  export interface LogEntry<T> {
    hash: string
    clock: { id: string, time: number }
    payload: { op: 'PUT' | 'DEL', key: string, value: T }
  }
  /** OrbitDB's storage interface (entries, heads, indexes). */
  export interface Storage {
    put: (hash: string, data: unknown) => Promise<void>
    get: (hash: string) => Promise<Uint8Array | undefined>
    /** For helia's blocks: also aborts every get still waiting. */
    close: () => Promise<void>
    [other: string]: unknown
  }
  export interface DocumentsDatabase<T> {
    /** The database's `/orbitdb/<manifest hash>`, what another peer opens to replicate it. */
    address: string
    put: (doc: T) => Promise<string>
    /** The newest version of the document with this `_id`: a walk of the oplog from its heads. */
    get: (key: string) => Promise<{ hash: string, key: string, value: T } | undefined>
    /** Every document `filter` accepts: a scan of the whole oplog. */
    query: (filter: (doc: T) => boolean) => Promise<T[]>
    all: () => Promise<Array<{ hash: string, key: string, value: T }>>
    log: { heads: () => Promise<Array<LogEntry<T>>> }
    events: {
      on: (event: 'update', listener: (entry: LogEntry<T>) => void) => void
      off: (event: 'update', listener: (entry: LogEntry<T>) => void) => void
    }
    close: () => Promise<void>
  }
  export interface OpenOptions {
    Database?: unknown
    AccessController?: unknown
    entryStorage?: Storage
  }
  export interface OrbitDB {
    open: <T>(nameOrAddress: string, options?: OpenOptions) => Promise<DocumentsDatabase<T>>
    stop: () => Promise<void>
  }
  export function createOrbitDB (options: { ipfs: unknown, directory?: string }): Promise<OrbitDB>
  export function Documents (options?: { indexBy?: string }): unknown
  /** Who may write: identity ids, or '*' for anyone (each entry's signature is checked either way). */
  export function IPFSAccessController (options?: { write?: string[] }): unknown
  export function ComposedStorage (first: Storage, second: Storage): Promise<Storage>
  export function LRUStorage (options: { size: number }): Promise<Storage>
  export function IPFSBlockStorage (options: { ipfs: unknown, pin?: boolean }): Promise<Storage>
}
