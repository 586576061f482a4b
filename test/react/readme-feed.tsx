// The README's social feed example (README.md, "React"), kept here so it runs:
// readme-feed.browser.test.tsx checks that the README shows this code and that it works.
import { connect, loadKit } from 'kiln'
import { KilnProvider, useCount, useKiln, useQuery, useStatus } from 'kiln/react'
import { createRoot } from 'react-dom/client'

export async function showFeed (element: HTMLElement, peers: string[], following: string[]) {
  const kiln = await connect({ peers })                    // this browser's node, synced through server peers
  const { KIT, installKit, kitQueries } = await loadKit()  // Kiln's standard social Models
  await installKit(kiln)
  for (const friend of following) await kiln.follow({ model: KIT.post, controller: friend })
  await kiln.follow({ model: KIT.comment })                // comments from anyone reach this browser

  function Feed () {
    const kiln = useKiln()
    const me = useStatus().data?.did                       // the wallet account, or this device's key
    const feed = useQuery(me == null ? undefined : kitQueries.feedOf([me, ...following]), { limit: 20 })  // live
    const post = () => kiln.create({ type: 'MID', model: KIT.post, content: { body: 'Hello!', published: Date.now() } })
    return <>
      <button onClick={() => { void post() }}>Post</button>
      {feed.data?.items.map((p) => <p key={p.id}>{(p.content as { body: string }).body} · <Comments of={p.id} /></p>)}
    </>
  }
  const Comments = ({ of }: { of: string }) => <>{useCount(kitQueries.commentsOn(of)).data} comments</>

  createRoot(element).render(<KilnProvider kiln={kiln}><Feed /></KilnProvider>)
}
