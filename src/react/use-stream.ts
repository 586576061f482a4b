import type { StreamSnapshot } from '../api/types.js'
import type { KilnError } from '../errors.js'
import { useKiln } from './provider.js'
import { type KilnResult, useWatch } from './watch.js'

/**
 * A stream, live: its state now and again whenever it changes (a write in any tab, a commit
 * from a peer). A CommitID gives that version, which never changes. A stream this browser does
 * not hold is fetched from its peers; one found nowhere is `ERR_STREAM_NOT_FOUND`, and still
 * shows if it arrives later (a follow brings it). `undefined`: nothing to show yet.
 *
 * @example
 * const { data: post, loading, error } = useStream(postId)
 */
export function useStream (ref: string | undefined): KilnResult<StreamSnapshot> {
  const kiln = useKiln()
  return useWatch([kiln], ref, async (feed, signal) => {
    const id = ref as string
    let missing = false
    const first = await kiln.load(id).catch((err: unknown) => {
      feed.fail(err)
      missing = (err as KilnError).code === 'ERR_STREAM_NOT_FOUND'
      return undefined
    })
    if (signal.aborted) return undefined
    if (first == null) return missing ? await kiln.subscribe(id, feed.next) : undefined
    feed.next(first)
    if (first.readOnly) return undefined
    let heard = false
    const stop = await kiln.subscribe(first.id, (snapshot) => { heard = true; feed.next(snapshot) })
    // A change between the load and the subscription would be missed: read once more. A snapshot
    // the subscription delivered is at least as new as this read.
    const again = await kiln.load(first.id).catch((err: unknown) => { feed.fail(err); return undefined })
    if (again != null && !heard) feed.next(again)
    return stop
  })
}
