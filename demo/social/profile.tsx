// An account's profile (found from its DID alone), its posts and followers; mine is editable.
import { useEffect, useState } from 'react'
import { useCount, useKiln, useQuery } from 'kiln/react'
import { useAction } from './action.js'
import { type ProfileContent, useKit, useMe, useProfile } from './kit.js'
import { followAccount } from './people.js'
import { PostCard } from './post.js'

export function ProfilePage ({ did }: { did?: string }) {
  const me = useMe()
  const account = did ?? me
  const { kitQueries } = useKit()
  const { profile, missing } = useProfile(account)
  const posts = useQuery(account == null ? undefined : kitQueries.postsBy(account), { limit: 30 })
  const followers = useCount(account == null ? undefined : kitQueries.followersOf(account))
  const following = useCount(account == null ? undefined : kitQueries.followedBy(account))
  if (account == null) return <p className='muted'>…</p>
  return (
    <section aria-label='Profile'>
      <h2>{profile?.name ?? (missing ? 'No profile yet' : '…')}</h2>
      {profile?.bio != null && <p>{profile.bio}</p>}
      <p className='muted'>DID: <code id='my-did'>{account}</code></p>
      <p><span id='followers'>{followers.data ?? '…'} followers</span> · <span>{following.data ?? '…'} following</span></p>
      {account === me ? <EditProfile profile={profile} /> : <FollowButton did={account} />}
      <h3>Posts</h3>
      <ul>{posts.data?.items.map((post) => <li key={post.id}><PostCard post={post} /></li>)}</ul>
    </section>
  )
}

function EditProfile ({ profile }: { profile: ProfileContent | undefined }) {
  const kiln = useKiln()
  const { KIT } = useKit()
  const [name, setName] = useState('')
  const [bio, setBio] = useState('')
  useEffect(() => { setName(profile?.name ?? ''); setBio(profile?.bio ?? '') }, [profile?.name, profile?.bio])
  const save = useAction(async () => {
    // A single document: one per account, at a StreamID anyone computes from the DID; writing it
    // again replaces its content.
    await kiln.create({ type: 'MID', model: KIT.profile, deterministic: true, content: { ...profile, name, bio } })
  })
  return (
    <form id='edit-profile' onSubmit={(e) => { e.preventDefault(); save.run() }}>
      <label>Name <input value={name} onChange={(e) => { setName(e.target.value) }} /></label>
      <label>Bio <textarea value={bio} rows={3} onChange={(e) => { setBio(e.target.value) }} /></label>
      <button disabled={save.busy}>Save profile</button>
      {save.error != null && <span className='error'>{save.error}</span>}
    </form>
  )
}

function FollowButton ({ did }: { did: string }) {
  const kiln = useKiln()
  const { KIT } = useKit()
  const follow = useAction(async () => { await followAccount(kiln, KIT.follow, did) })
  return <p><button onClick={() => { follow.run() }} disabled={follow.busy}>Follow</button>{follow.error != null && <span className='error'>{follow.error}</span>}</p>
}
