// The feed: my posts and those of the people I follow, newest first, live.
import { useState } from 'react'
import { useKiln, useQuery } from 'kiln/react'
import { useAction } from './action.js'
import { useKit, useMe } from './kit.js'
import { PostCard } from './post.js'

export function Feed () {
  const { kitQueries } = useKit()
  const me = useMe()
  const following = useQuery(me == null ? undefined : kitQueries.followedBy(me), { limit: 63 })
  const accounts = me == null || following.data == null ? undefined : [me, ...following.data.items.map((f) => (f.content as { followed: string }).followed)]
  const feed = useQuery(accounts == null ? undefined : kitQueries.feedOf(accounts), { limit: 30 })
  return (
    <section aria-label='Feed'>
      <Composer />
      {feed.error != null && <p className='error'>{feed.error.message}</p>}
      {feed.data?.items.length === 0 && <p className='muted'>Nothing yet: write a post, or follow someone (People).</p>}
      <ul id='feed'>
        {feed.data?.items.map((post) => <li key={post.id}><PostCard post={post} /></li>)}
      </ul>
    </section>
  )
}

/** A short post, or a long-form article (it has a title). */
function Composer () {
  const kiln = useKiln()
  const { KIT } = useKit()
  const [article, setArticle] = useState(false)
  const [title, setTitle] = useState('')
  const [body, setBody] = useState('')
  const [tags, setTags] = useState('')
  const publish = useAction(async () => {
    const tagList = tags.split(',').map((t) => t.trim()).filter((t) => t !== '')
    const content = { body, published: Date.now(), ...(article && title !== '' ? { title } : {}), ...(tagList.length > 0 ? { tags: tagList } : {}) }
    await kiln.create({ type: 'MID', model: KIT.post, content })
    setTitle(''); setBody(''); setTags(''); setArticle(false)
  })
  return (
    <form id='composer' onSubmit={(e) => { e.preventDefault(); publish.run() }}>
      <div role='radiogroup' aria-label='Kind'>
        <label><input type='radio' checked={!article} onChange={() => { setArticle(false) }} /> Post</label>
        <label><input type='radio' checked={article} onChange={() => { setArticle(true) }} /> Article</label>
      </div>
      {article && <label>Title <input value={title} onChange={(e) => { setTitle(e.target.value) }} /></label>}
      <label>{article ? 'Article' : 'What\'s new?'} <textarea value={body} rows={article ? 10 : 3} onChange={(e) => { setBody(e.target.value) }} /></label>
      <label>Tags <input value={tags} placeholder='comma, separated' onChange={(e) => { setTags(e.target.value) }} /></label>
      <button disabled={body.trim() === '' || publish.busy}>Publish</button>
      {publish.error != null && <span className='error'>{publish.error}</span>}
    </form>
  )
}
