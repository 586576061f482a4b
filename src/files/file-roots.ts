/**
 * What garbage collection keeps (file-gc.ts): the files the node's documents name. Apart from the
 * collector so the worker's main chunk can name them without loading helia's code.
 */
import { fileRefsIn } from './file-refs.js'

/** What collection needs of the node (a StreamNode is one): its streams, and what their commits wrote. */
export interface KeptDocuments {
  /** A page of the streams held. */
  heads: (query: { model?: string }, page?: { limit?: number, cursor?: string }) => Promise<{ items: Array<{ id: string }>, cursor?: string }>
  /** What each commit of a stream wrote (genesis content, JSON-Patch operations), on every branch. */
  commitData: (id: string) => Promise<unknown[]>
  onCommit: (listener: (event: { id: string }) => void) => () => void
}

/** The files something keeps: all of them now, and those named while a collection runs. */
export interface FileRoots {
  all: () => AsyncIterable<string>
  /** Tells `found` of files named from now on (a promise, so a collection waits for it); returns a stop. */
  watch?: (found: (refs: Promise<string[]>) => void) => () => void
}

/** The files named by the node's documents, found by reading what every commit of every stream wrote. */
export function documentFileRoots (documents: KeptDocuments): FileRoots {
  return {
    async * all () {
      let cursor: string | undefined
      do {
        const page = await documents.heads({}, { limit: 1_000, cursor })
        for (const { id } of page.items) yield * fileRefsIn(await documents.commitData(id))
        cursor = page.items.length === 0 ? undefined : page.cursor
      } while (cursor != null)
    },
    watch: (found) => documents.onCommit((event) => { found(documents.commitData(event.id).then(fileRefsIn)) })
  }
}

/** Every file any of `sources` keeps. */
export function allRoots (...sources: FileRoots[]): FileRoots {
  return {
    async * all () { for (const source of sources) yield * source.all() },
    watch: (found) => {
      const stops = sources.map((source) => source.watch?.(found) ?? (() => {}))
      return () => { for (const stop of stops) stop() }
    }
  }
}
