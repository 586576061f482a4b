import { afterEach, describe, expect, it } from 'vitest'
import { Component, type ReactNode } from 'react'
import { flushSync } from 'react-dom'
import { createRoot, type Root } from 'react-dom/client'
import { privateKeyToAccount } from 'viem/accounts'
import { connect, type Kiln } from '../../src/client/index.js'
import { KilnProvider, type KilnResult, useCount, useFollow, useKiln, useQuery, useSession, useStatus, useStream } from '../../src/react/index.js'

// The hooks on a real node: connect() starts the SharedWorker (IndexedDB) in this Chromium page;
// components render with react-dom into the page, and assertions poll what they rendered, as a
// user would see it (no act(): the hooks' updates come from the worker, at their own pace).
let counter = 0
const nodeName = (): string => `kiln-react-test-${Date.now()}-${counter++}`
const mounted: Array<{ root: Root, kiln: Kiln }> = []

async function render (kiln: Kiln, element: ReactNode): Promise<HTMLElement> {
  const container = document.createElement('div')
  document.body.append(container)
  const root = createRoot(container)
  // The first render now, before any effect has read anything: what a user sees first.
  flushSync(() => { root.render(<KilnProvider kiln={kiln}>{element}</KilnProvider>) })
  mounted.push({ root, kiln })
  return container
}

afterEach(async () => {
  for (const { root, kiln } of mounted.splice(0)) {
    root.unmount()
    await kiln.close()
  }
  document.body.replaceChildren()
})

/** Renders a hook's result as JSON, so a test reads what a component would show. */
function Show<T> ({ result, pick }: { result: KilnResult<T>, pick?: (data: T) => unknown }) {
  const { data, loading, error } = result
  return <pre>{JSON.stringify({ loading, error: error?.code, data: data === undefined ? undefined : (pick?.(data) ?? data) })}</pre>
}
const shown = (container: HTMLElement): { loading: boolean, error?: string, data?: any } => JSON.parse(container.querySelector('pre')?.textContent ?? '{}')

const postModel = {
  version: '2.0', name: 'Post', interface: false, implements: [], accountRelation: { type: 'list' },
  schema: {
    $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', additionalProperties: false,
    properties: { title: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } }, published: { type: 'integer' } },
    required: ['title', 'published']
  }
}
const commentModel = (posts: string): object => ({
  version: '2.0', name: 'Comment', interface: false, implements: [], accountRelation: { type: 'list' },
  schema: {
    $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', additionalProperties: false,
    properties: { postID: { type: 'string' }, text: { type: 'string' } }, required: ['postID', 'text']
  },
  relations: { postID: { type: 'document', model: posts } }
})

describe('kiln/react hooks', () => {
  it('useStream: loading, then the stream, live through writes; a CommitID is that version; an unknown id is a typed error', async () => {
    const kiln = await connect({ name: nodeName() })
    const note = await kiln.create({ content: { title: 'first' } })
    const Stream = ({ id }: { id: string }) => <Show result={useStream(id)} pick={(s) => ({ content: s.content, readOnly: s.readOnly })} />
    const live = await render(kiln, <Stream id={note.id} />)
    expect(shown(live)).toEqual({ loading: true })
    await expect.poll(() => shown(live)).toEqual({ loading: false, data: { content: { title: 'first' }, readOnly: false } })
    const second = await kiln.update(note.id, { content: { title: 'second' } })
    await expect.poll(() => shown(live).data?.content).toEqual({ title: 'second' })

    const version = await render(kiln, <Stream id={note.commitId} />)
    await expect.poll(() => shown(version)).toEqual({ loading: false, data: { content: { title: 'first' }, readOnly: true } })
    await kiln.update(note.id, { content: { title: 'third' }, expectedTip: second.tip })
    await expect.poll(() => shown(live).data?.content).toEqual({ title: 'third' })
    expect(shown(version).data.content).toEqual({ title: 'first' })

    const other = await kiln.create({ content: { title: 'elsewhere' } })
    const missing = other.id.slice(0, -3) + (other.id.endsWith('aaa') ? 'bbb' : 'aaa')
    const bad = await render(kiln, <><Stream id='not-an-id' /><Stream id={missing} /></>)
    await expect.poll(() => [...bad.querySelectorAll('pre')].map((pre) => JSON.parse(pre.textContent!).error)).toEqual(['ERR_INVALID_ID', 'ERR_STREAM_NOT_FOUND'])
  })

  it('useQuery and useCount re-read live: a new match appears, a document that stops matching leaves, counts follow backlinks', async () => {
    const kiln = await connect({ name: nodeName() })
    const posts = (await kiln.create({ type: 'model', content: postModel })).id
    const comments = (await kiln.create({ type: 'model', content: commentModel(posts) })).id
    await kiln.indexModel(posts, [['tags', 'published']])
    const first = await kiln.create({ type: 'MID', model: posts, content: { title: 'one', tags: ['news'], published: 1 } })
    const News = () => <Show result={useQuery({ model: posts, where: { tags: 'news' }, sort: { published: 'desc' } }, { limit: 10 })} pick={(page) => page.items.map((s) => (s.content as { title: string }).title)} />
    const Comments = ({ post }: { post: string }) => <Show result={useCount({ model: comments, where: { postID: post } })} />
    const feed = await render(kiln, <News />)
    const count = await render(kiln, <Comments post={first.id} />)
    await expect.poll(() => shown(feed)).toEqual({ loading: false, data: ['one'] })
    await expect.poll(() => shown(count)).toEqual({ loading: false, data: 0 })

    const second = await kiln.create({ type: 'MID', model: posts, content: { title: 'two', tags: ['news'], published: 2 } })
    await kiln.create({ type: 'MID', model: posts, content: { title: 'a recipe', tags: ['food'], published: 3 } })
    await expect.poll(() => shown(feed).data).toEqual(['two', 'one'])
    // Retagged: it no longer matches, and the page is read again all the same.
    await kiln.update(second.id, { content: { title: 'two', tags: ['food'], published: 2 } })
    await expect.poll(() => shown(feed).data).toEqual(['one'])

    await kiln.create({ type: 'MID', model: comments, content: { postID: first.id, text: 'nice' } })
    await kiln.create({ type: 'MID', model: comments, content: { postID: second.id, text: 'elsewhere' } })
    await expect.poll(() => shown(count).data).toBe(1)

    // A query no index serves is the node's typed error.
    const Unserved = () => <Show result={useQuery({ model: posts, where: { title: 'one' } })} />
    const unserved = await render(kiln, <Unserved />)
    await expect.poll(() => shown(unserved)).toEqual({ loading: false, error: 'ERR_NOT_INDEXED' })
  })

  it('unmounting ends a hook\'s subscriptions in the node; an undefined input is neither loading nor subscribed', async () => {
    const kiln = await connect({ name: nodeName() })
    const note = await kiln.create({ content: { title: 'x' } })
    const before = (await kiln.status()).subscriptions
    const Both = ({ id }: { id?: string }) => <><Show result={useStream(id)} /><Show result={useQuery(id == null ? undefined : { family: 'nothing' })} /></>
    const container = await render(kiln, <Both id={note.id} />)
    await expect.poll(async () => (await kiln.status()).subscriptions).toBe(before + 2)
    const { root } = mounted[mounted.length - 1]
    root.render(<KilnProvider kiln={kiln}><Both /></KilnProvider>)
    await expect.poll(async () => (await kiln.status()).subscriptions).toBe(before)
    await expect.poll(() => [...container.querySelectorAll('pre')].map((pre) => JSON.parse(pre.textContent!))).toEqual([{ loading: false }, { loading: false }])
  })

  it('useFollow follows a Model and shows what it holds as documents arrive', async () => {
    const kiln = await connect({ name: nodeName() })
    const posts = (await kiln.create({ type: 'model', content: postModel })).id
    const Following = () => <Show result={useFollow({ model: posts })} pick={(f) => ({ model: f.model, held: f.held, catchUp: f.catchUp ?? null })} />
    const container = await render(kiln, <Following />)
    // No peers: there is nothing to catch up with (catchUp absent).
    await expect.poll(() => shown(container)).toEqual({ loading: false, data: { model: posts, held: 0, catchUp: null } })
    expect(await kiln.follows()).toMatchObject([{ model: posts }])
    await kiln.create({ type: 'MID', model: posts, content: { title: 'mine', published: 1 } })
    await expect.poll(() => shown(container).data?.held, { timeout: 5_000 }).toBe(1)
  })

  it('useStatus and useSession: the device key writes while offline; a wallet sign-in and sign-out show in both at once', async () => {
    const kiln = await connect({ name: nodeName() })
    const device = (await kiln.status()).did
    expect(device).toMatch(/^did:key:/)
    function Identity () {
      const status = useStatus()
      const session = useSession()
      return <>
        <pre>{JSON.stringify({ did: status.data?.did, mode: status.data?.mode, offline: status.offline, session: session.data?.account ?? null, loading: session.loading })}</pre>
        <button onClick={() => { void session.signIn(wallet) }}>in</button>
        <button onClick={() => { void session.signOut() }}>out</button>
      </>
    }
    const container = await render(kiln, <Identity />)
    await expect.poll(() => shown(container)).toEqual({ did: device, mode: 'shared-worker', offline: true, session: null, loading: false })

    const account = `did:pkh:eip155:1:${signer.address.toLowerCase()}`
    container.querySelectorAll('button')[0].click()
    await expect.poll(() => shown(container)).toEqual({ did: account, mode: 'shared-worker', offline: true, session: account, loading: false })
    container.querySelectorAll('button')[1].click()
    await expect.poll(() => shown(container)).toEqual({ did: device, mode: 'shared-worker', offline: true, session: null, loading: false })
  })

  it('a hook outside a KilnProvider says what is missing', async () => {
    const Orphan = () => { useKiln(); return null }
    const container = document.createElement('div')
    const root = createRoot(container, { onCaughtError: () => {} })
    let thrown: unknown
    class Catch extends Component<{ children: ReactNode }, { failed: boolean }> {
      state = { failed: false }
      static getDerivedStateFromError () { return { failed: true } }
      componentDidCatch (error: unknown) { thrown = error }
      render () { return this.state.failed ? null : this.props.children }
    }
    root.render(<Catch><Orphan /></Catch>)
    await expect.poll(() => (thrown as Error | undefined)?.message).toMatch(/KilnProvider/)
    root.unmount()
  })
})

/** An injected wallet (EIP-1193) signing with a test key, as a browser extension would. */
const signer = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d')
const wallet = {
  async request ({ method, params }: { method: string, params?: unknown[] }): Promise<unknown> {
    if (method === 'eth_requestAccounts' || method === 'eth_accounts') return [signer.address]
    if (method === 'eth_chainId') return '0x1'
    if (method === 'personal_sign') return await signer.signMessage({ message: { raw: params?.[0] as `0x${string}` } })
    throw new Error(`unsupported ${method}`)
  }
}
