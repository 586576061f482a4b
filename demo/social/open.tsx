// Open anything by its id (a StreamID or a CommitID): from this browser, or fetched from peers.
import { useState } from 'react'
import { useKit } from './kit.js'
import { useStream } from 'kiln/react'
import { History } from './history.js'
import { PostPage } from './post.js'
import { ProfilePage } from './profile.js'
import { linkTo } from './route.js'

export function OpenStream ({ id }: { id?: string }) {
  const [value, setValue] = useState(id ?? '')
  return (
    <section aria-label='Open by id'>
      <form id='open-form' onSubmit={(e) => { e.preventDefault(); location.hash = linkTo.stream(value.trim()) }}>
        <label>Stream or commit id <input value={value} placeholder='kjzl… / k…' onChange={(e) => { setValue(e.target.value) }} /></label>
        <button>Open</button>
      </form>
      {id != null && id !== '' && <StreamView id={id} />}
    </section>
  )
}

function StreamView ({ id }: { id: string }) {
  const { KIT } = useKit()
  const { data: stream, loading, error } = useStream(id)
  if (loading) return <p className='muted'>Looking for it…</p>
  if (error != null || stream == null) return <p className='error'>{error?.code === 'ERR_STREAM_NOT_FOUND' ? 'Not found here or on any connected peer.' : `${error?.code}: ${error?.message}`}</p>
  // A post or a profile opens as one; any other stream (or an old version) as its JSON.
  if (!stream.readOnly && stream.metadata.model === KIT.post) return <PostPage id={stream.id} />
  if (!stream.readOnly && stream.metadata.model === KIT.profile) return <ProfilePage did={stream.metadata.controllers[0]} />
  return (
    <article id='stream'>
      <p className='muted'>{stream.typeName} · controlled by {stream.metadata.controllers[0]}{stream.readOnly ? ' · a past version (read-only)' : ''}</p>
      <pre>{JSON.stringify(stream.content, null, 2)}</pre>
      {!stream.readOnly && <History stream={stream} />}
    </article>
  )
}
