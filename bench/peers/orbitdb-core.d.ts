/** The part of @orbitdb/core 4 (plain JavaScript, no types of its own) that the Models bench uses. */
declare module '@orbitdb/core' {
  export interface DocumentsDatabase<T> {
    put: (doc: T) => Promise<string>
    /** Every document `filter` accepts: a scan of the whole oplog. */
    query: (filter: (doc: T) => boolean) => Promise<T[]>
    all: () => Promise<Array<{ hash: string, key: string, value: T }>>
    close: () => Promise<void>
  }
  export interface OrbitDB {
    open: <T>(name: string, options: { Database: unknown }) => Promise<DocumentsDatabase<T>>
    stop: () => Promise<void>
  }
  export function createOrbitDB (options: { ipfs: unknown, directory?: string }): Promise<OrbitDB>
  export function Documents (options?: { indexBy?: string }): unknown
}
