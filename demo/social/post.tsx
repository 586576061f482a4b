// A post in the feed (a card) and on its own page (comments, history, edit, fork).
import { useState } from 'react'
import type { StreamSnapshot } from 'kiln'
import { useKiln, useStream } from 'kiln/react'
import { useAction } from './action.js'
import { Comments, CommentCount } from './comments.js'
import { ForkButton, ForkedFrom } from './fork.js'
import { History } from './history.js'
import { type PostContent, useMe, useProfile } from './kit.js'
import { Reactions } from './reactions.js'
import { linkTo } from './route.js'

export function PostCard ({ post }: { post: StreamSnapshot }) {
  const content = post.content as PostContent
  const article = content.title != null
  return (
    <article className='post'>
      <Byline post={post} />
      {article && <h3><a href={linkTo.post(post.id)}>{content.title}</a></h3>}
      <p className='body'>{article ? excerpt(content.body) : content.body}</p>
      <Tags tags={content.tags} />
      <footer>
        <Reactions target={post.id} />
        <a href={linkTo.post(post.id)}><CommentCount target={post.id} /></a>
      </footer>
    </article>
  )
}

export function PostPage ({ id }: { id: string }) {
  const { data: post, loading, error } = useStream(id)
  const me = useMe()
  const [editing, setEditing] = useState(false)
  if (loading) return <p className='muted'>Looking for it…</p>
  if (error != null || post == null) return <p className='error'>{error?.code === 'ERR_STREAM_NOT_FOUND' ? 'Not found here or on any connected peer.' : error?.message}</p>
  const content = post.content as PostContent
  const mine = post.metadata.controllers[0] === me
  return (
    <article className='post page' aria-label='Post'>
      <Byline post={post} />
      <ForkedFrom post={post} />
      {editing
        ? <EditPost post={post} done={() => { setEditing(false) }} />
        : <>
            {content.title != null && <h2>{content.title}</h2>}
            {content.body.split(/\n{2,}/).map((paragraph, i) => <p key={i} className='body'>{paragraph}</p>)}
            <Tags tags={content.tags} />
          </>}
      <footer>
        <Reactions target={post.id} />
        {mine && !editing && <button onClick={() => { setEditing(true) }}>Edit</button>}
        <ForkButton source={post} />
        <span className='muted'>Link: <a href={linkTo.post(post.id)}><code>{post.id}</code></a></span>
      </footer>
      <Comments target={post.id} />
      <History stream={post} />
    </article>
  )
}

function EditPost ({ post, done }: { post: StreamSnapshot, done: () => void }) {
  const kiln = useKiln()
  const content = post.content as PostContent
  const [title, setTitle] = useState(content.title ?? '')
  const [body, setBody] = useState(content.body)
  const save = useAction(async () => {
    // expectedTip: an edit made meanwhile elsewhere is refused (ERR_STALE_TIP), not overwritten.
    await kiln.update(post.id, { content: { ...content, body, ...(title === '' ? {} : { title }) }, expectedTip: post.tip })
    done()
  })
  return (
    <form onSubmit={(e) => { e.preventDefault(); save.run() }}>
      {content.title != null && <label>Title <input value={title} onChange={(e) => { setTitle(e.target.value) }} /></label>}
      <label>Text <textarea value={body} rows={6} onChange={(e) => { setBody(e.target.value) }} /></label>
      <button disabled={save.busy}>Save</button> <button type='button' onClick={done}>Cancel</button>
      {save.error != null && <span className='error'>{save.error}</span>}
    </form>
  )
}

function Byline ({ post }: { post: StreamSnapshot }) {
  const author = post.metadata.controllers[0]
  const { name } = useProfile(author)
  const published = (post.content as PostContent).published
  return (
    <p className='byline'>
      <a href={linkTo.profile(author)}>{name}</a>
      <span className='muted'> · <a href={linkTo.post(post.id)}>{new Date(published).toLocaleString()}</a>
        {post.log.length > 1 ? ` · edited (${post.log.length} versions)` : ''}</span>
    </p>
  )
}

function Tags ({ tags }: { tags: string[] | undefined }) {
  if (tags == null || tags.length === 0) return null
  return <p className='tags'>{tags.map((tag) => <span key={tag} className='tag'>#{tag}</span>)}</p>
}

function excerpt (body: string): string {
  return body.length > 280 ? `${body.slice(0, 280)}…` : body
}
