/** What the local node holds, read the way sync needs it. */
import type { StreamHeads, StreamNode } from '../node/stream-node.js'
import type { StreamQuery } from '../store/store.js'

/** Whether the node stores the stream. */
export async function holds (node: StreamNode, id: string): Promise<boolean> {
  try {
    await node.load(id)
    return true
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_STREAM_NOT_FOUND') return false
    throw err
  }
}

/** Every local stream matching `query`, with its tips, page by page (an index walk, no state decoding). */
export async function * allHeads (node: StreamNode, query: StreamQuery = {}): AsyncGenerator<StreamHeads> {
  let cursor: string | undefined
  do {
    const page = await node.heads(query, { limit: 1_000, cursor })
    yield * page.items
    cursor = page.items.length === 0 ? undefined : page.cursor
  } while (cursor != null)
}
