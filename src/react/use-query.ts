import type { Kiln } from '../client/connect.js'
import type { Page, PageRequest, StreamQuery, StreamSnapshot } from '../api/types.js'
import { useKiln } from './provider.js'
import { type KilnResult, coalesced, useWatch } from './watch.js'

/**
 * A query's page of documents, live: read again whenever a document it could match changes, in
 * any tab or from a peer (a burst of changes is one re-read). `undefined`: nothing to query yet.
 *
 * @example
 * const { data } = useQuery(kitQueries.feedOf(following), { limit: 20 })
 * data?.items.map((post) => <Post key={post.id} post={post} />)
 */
export function useQuery (query: StreamQuery | undefined, page?: PageRequest): KilnResult<Page<StreamSnapshot>> {
  return useLiveRead(query, page, async (kiln, q) => await kiln.query(q, page))
}

/**
 * How many documents a query matches (a backlink count: comments of a post, followers of an
 * account), live as useQuery is.
 *
 * @example
 * const { data: comments } = useCount(kitQueries.commentsOn(post.id))
 */
export function useCount (query: StreamQuery | undefined): KilnResult<number> {
  return useLiveRead(query, undefined, async (kiln, q) => await kiln.count(q))
}

function useLiveRead<T> (query: StreamQuery | undefined, page: PageRequest | undefined, read: (kiln: Kiln, query: StreamQuery) => Promise<T>): KilnResult<T> {
  const kiln = useKiln()
  const key = query == null ? undefined : JSON.stringify([query, page ?? null])
  return useWatch([kiln], key, async (feed) => {
    const q = query as StreamQuery
    const reread = coalesced(async () => { feed.next(await read(kiln, q)) }, feed.fail)
    // Subscribed first, so a change during the first read is not missed.
    const stop = await kiln.subscribe(recordFilterOf(q), () => { reread() })
    reread()
    return stop
  })
}

/**
 * What a query's subscription watches: its Model, account, family and schema, not its content
 * conditions. The node tells a query's subscribers only of documents that match it after a
 * change, so one that stops matching (a post retagged) would go unheard; this way every change
 * to a document of the Model is heard, and the re-read decides what matches.
 */
function recordFilterOf ({ where: _, sort: __, ...record }: StreamQuery): StreamQuery {
  return record
}
