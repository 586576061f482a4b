// The app's frame: who I am, the node's status, the screens.
import { useFollow, useQuery } from 'kiln/react'
import { Feed } from './feed.js'
import { Identity } from './identity.js'
import { useKit, useMe } from './kit.js'
import { FollowAccount, People } from './people.js'
import { PostPage } from './post.js'
import { ProfilePage } from './profile.js'
import { linkTo, useRoute } from './route.js'
import { StatusBar } from './status-bar.js'
import { OpenStream } from './open.js'

export function App () {
  const route = useRoute()
  const { KIT, kitQueries } = useKit()
  const me = useMe()
  // Comments, reactions and follows from anyone reach this browser: counts and followers need them.
  useFollow({ model: KIT.comment })
  useFollow({ model: KIT.reaction })
  useFollow({ model: KIT.follow })
  // Posts and profiles come from the people I follow, whichever screen is open.
  const following = useQuery(me == null ? undefined : kitQueries.followedBy(me), { limit: 100 })
  return (
    <>
      {following.data?.items.map((f) => <FollowAccount key={f.id} did={(f.content as { followed: string }).followed} />)}
      <header>
        <h1><a href={linkTo.feed}>Kiln social</a></h1>
        <Identity />
      </header>
      <StatusBar />
      <nav>
        <a href={linkTo.feed} aria-current={route.screen === 'feed'}>Feed</a>
        <a href={linkTo.profile()} aria-current={route.screen === 'profile'}>Profile</a>
        <a href={linkTo.people} aria-current={route.screen === 'people'}>People</a>
        <a href={linkTo.stream()} aria-current={route.screen === 'stream'}>Open by id</a>
        <a href='/'>Notes demo</a>
      </nav>
      <main>
        {route.screen === 'feed' && <Feed />}
        {route.screen === 'profile' && <ProfilePage did={route.did} />}
        {route.screen === 'people' && <People />}
        {route.screen === 'post' && <PostPage id={route.id} />}
        {route.screen === 'stream' && <OpenStream id={route.id} />}
      </main>
    </>
  )
}
