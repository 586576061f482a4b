// Comments on anything (a relation to it): counted and listed from the relation's index (backlinks).
import { useState } from 'react'
import type { StreamSnapshot } from 'kiln'
import { useCount, useKiln, useQuery } from 'kiln/react'
import { useAction } from './action.js'
import { type CommentContent, useKit, useProfile } from './kit.js'
import { linkTo } from './route.js'

export function CommentCount ({ target }: { target: string }) {
  const { kitQueries } = useKit()
  const { data } = useCount(kitQueries.commentsOn(target))
  return <span className='comment-count'>{data ?? '…'} comment{data === 1 ? '' : 's'}</span>
}

export function Comments ({ target }: { target: string }) {
  const kiln = useKiln()
  const { KIT, kitQueries } = useKit()
  const { data } = useQuery(kitQueries.commentsOn(target), { limit: 100 })
  const [text, setText] = useState('')
  const send = useAction(async () => {
    await kiln.create({ type: 'MID', model: KIT.comment, content: { target, text, published: Date.now() } })
    setText('')
  })
  return (
    <section aria-label='Comments'>
      <h3><CommentCount target={target} /></h3>
      <ul id='comments'>
        {data?.items.map((comment) => <li key={comment.id}><Comment comment={comment} /></li>)}
      </ul>
      <form onSubmit={(e) => { e.preventDefault(); send.run() }}>
        <label>Comment <input value={text} onChange={(e) => { setText(e.target.value) }} /></label>
        <button disabled={text.trim() === '' || send.busy}>Send</button>
        {send.error != null && <span className='error'>{send.error}</span>}
      </form>
    </section>
  )
}

function Comment ({ comment }: { comment: StreamSnapshot }) {
  const author = comment.metadata.controllers[0]
  const { name } = useProfile(author)
  const content = comment.content as CommentContent
  return <p className='comment'><a href={linkTo.profile(author)}>{name}</a>: {content.text} <span className='muted'>{new Date(content.published).toLocaleTimeString()}</span></p>
}
