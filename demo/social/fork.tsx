// The slot for forking a post: a new stream that I control, recording the source's CommitID as
// its provenance. `kiln.fork(ref, changes?)` is being added to the page API in another change;
// once it lands this button calls it, e.g.
//   const copy = await kiln.fork(source.commitId); location.hash = linkTo.post(copy.id)
import type { StreamSnapshot } from 'kiln'

export function ForkButton ({ source }: { source: StreamSnapshot }) {
  return <button disabled title={`Fork ${source.commitId}: coming with kiln.fork`}>Fork</button>
}
