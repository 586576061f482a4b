// Following people by DID: a Follow document each (the social graph), and a node follow of their
// posts and profile, so they reach this browser; each shows how far catching up is.
import { useState } from 'react'
import type { Kiln } from 'kiln'
import { useKiln, useFollow, useQuery } from 'kiln/react'
import { useAction } from './action.js'
import { shortDid, useKit, useMe, useProfile } from './kit.js'
import { linkTo } from './route.js'

export function People () {
  const kiln = useKiln()
  const { KIT, kitQueries } = useKit()
  const me = useMe()
  const following = useQuery(me == null ? undefined : kitQueries.followedBy(me), { limit: 100 })
  const [did, setDid] = useState('')
  const follow = useAction(async () => {
    await followAccount(kiln, KIT.follow, did.trim())
    setDid('')
  })
  return (
    <section aria-label='People'>
      <form id='follow-form' onSubmit={(e) => { e.preventDefault(); follow.run() }}>
        <label>Follow someone by their DID <input value={did} placeholder='did:key:… or did:pkh:…' onChange={(e) => { setDid(e.target.value) }} /></label>
        <button disabled={!did.trim().startsWith('did:') || follow.busy}>Follow</button>
        {follow.error != null && <span className='error'>{follow.error}</span>}
      </form>
      <h3>Following</h3>
      <ul id='following'>
        {following.data?.items.map((f) => <li key={f.id}><Followed did={(f.content as { followed: string }).followed} /></li>)}
      </ul>
    </section>
  )
}

/** A Follow document: a set document, one per follower and followed account, so following twice is one follow. */
export async function followAccount (kiln: Kiln, followModel: string, followed: string): Promise<void> {
  await kiln.create({ type: 'MID', model: followModel, unique: [followed], content: { followed, since: Date.now() } })
}

/** Keeps this node following an account's posts and profile (the follows outlive it); shows nothing. */
export function FollowAccount ({ did }: { did: string }) {
  const { KIT } = useKit()
  useFollow({ model: KIT.post, controller: did })
  useFollow({ model: KIT.profile, controller: did })
  return null
}

/** A followed account: its name, and how far this node has caught up on its posts. */
function Followed ({ did }: { did: string }) {
  const { KIT } = useKit()
  const { name } = useProfile(did)
  const posts = useFollow({ model: KIT.post, controller: did })
  const catchUp = posts.data?.catchUp
  return (
    <span className='followed'>
      <a href={linkTo.profile(did)}>{name}</a> <span className='muted'>{shortDid(did)} · {posts.data?.held ?? '…'} posts here
        {catchUp == null ? '' : catchUp.pending > 0 ? ` · catching up: ${catchUp.pending} to fetch` : ' · up to date'}</span>
    </span>
  )
}
