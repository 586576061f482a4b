/** What the local node holds, read the way sync needs it. */
import type { StreamHeads, StreamNode } from '../node/stream-node.js'
import type { StreamQuery } from '../store/store.js'

/** Every local stream matching `query`, with its tips, page by page (an index walk, no state decoding). */
export async function * allHeads (node: StreamNode, query: StreamQuery = {}): AsyncGenerator<StreamHeads> {
  let cursor: string | undefined
  do {
    const page = await node.heads(query, { limit: 1_000, cursor })
    yield * page.items
    cursor = page.items.length === 0 ? undefined : page.cursor
  } while (cursor != null)
}
