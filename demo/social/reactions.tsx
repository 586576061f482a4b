// A reaction is a set document: one per account and target, so liking twice is still one like.
import { useCount, useKiln } from 'kiln/react'
import { useAction } from './action.js'
import { useKit } from './kit.js'

export function Reactions ({ target }: { target: string }) {
  const kiln = useKiln()
  const { KIT, kitQueries } = useKit()
  const { data: likes } = useCount(kitQueries.reactionsTo(target, 'like'))
  const like = useAction(async () => {
    await kiln.create({ type: 'MID', model: KIT.reaction, unique: [target], content: { target, kind: 'like' } })
  })
  return (
    <span className='reactions'>
      <button onClick={() => { like.run() }} disabled={like.busy} aria-label='Like'>♥ Like</button>
      <span className='like-count'>{likes ?? '…'} like{likes === 1 ? '' : 's'}</span>
      {like.error != null && <span className='error'>{like.error}</span>}
    </span>
  )
}
