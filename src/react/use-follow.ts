import type { Follow, FollowStatus } from '../api/types.js'
import { useKiln } from './provider.js'
import { type KilnResult, coalesced, every, useWatch } from './watch.js'

/** How often a follow's catch-up progress is read again (the worker does not push it). */
export const FOLLOW_REFRESH_MS = 1_000

/**
 * Follows a Model's documents (optionally one account's) and shows how far catching up with the
 * peers is: `held`, and `catchUp.pending` commits still to fetch (0 once caught up). The follow
 * is the node's and outlives the component: unmounting does not unfollow (`kiln.unfollow` does).
 *
 * @example
 * const { data } = useFollow({ model: KIT.post, controller: friend })
 * data?.catchUp?.pending === 0 ? 'up to date' : 'catching up…'
 */
export function useFollow (follow: Follow | undefined): KilnResult<FollowStatus> {
  const kiln = useKiln()
  const key = follow == null ? undefined : JSON.stringify([follow.model, follow.controller ?? null])
  return useWatch([kiln], key, async (feed) => {
    const wanted = follow as Follow
    feed.next(await kiln.follow(wanted))
    const read = coalesced(async () => {
      const status = (await kiln.follows()).find((f) => f.model === wanted.model && f.controller === wanted.controller)
      if (status != null) feed.next(status)
    }, feed.fail)
    return every(FOLLOW_REFRESH_MS, read)
  })
}
