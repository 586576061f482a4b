// Forking a post: a new stream that I control, which records the version it came from (its
// CommitID, in the fork's genesis); the source's author is never asked. The count of forks comes
// from the `forkOf` index, on any node that holds them.
import type { StreamSnapshot } from 'kiln'
import { useCount, useKiln } from 'kiln/react'
import { useAction } from './action.js'
import { linkTo } from './route.js'

export function ForkButton ({ source }: { source: StreamSnapshot }) {
  const kiln = useKiln()
  const forks = useCount({ forkOf: source.id })
  const fork = useAction(async () => {
    const copy = await kiln.fork(source.commitId)
    location.hash = linkTo.post(copy.id)
  })
  return (
    <>
      <button onClick={() => { fork.run() }} disabled={fork.busy}>Fork</button>
      {(forks.data ?? 0) > 0 && <span className='muted'>{forks.data} {forks.data === 1 ? 'fork' : 'forks'}</span>}
      {fork.error != null && <span className='error'>{fork.error}</span>}
    </>
  )
}

/** "Forked from …", linking to the version the fork came from. */
export function ForkedFrom ({ post }: { post: StreamSnapshot }) {
  const source = post.metadata.forkOf
  if (source == null) return null
  return <p className='muted'>Forked from <a href={linkTo.stream(source)}><code>{source}</code></a></p>
}
