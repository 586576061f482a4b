import { createTrustedChains } from '../../src/anchors/trusted-chains.js'
import { MemoryBlockstore } from 'blockstore-core'
import { createFileBlockstore } from '../../src/files/file-blockstore.js'
import { createFileStore, type FileStore } from '../../src/files/file-store.js'
import type { Cacao } from '@didtools/cacao'
import * as Comlink from 'comlink'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { CALLS, type CallName, type WorkerApi } from '../../src/api/calls.js'
import type { FileInfo, Follow, StreamSnapshot } from '../../src/api/types.js'
import { installErrorWire } from '../../src/api/wire.js'
import { type RelayClient, createRelayClient } from '../../src/client/relay-client.js'
import { type Leader, startLeader } from '../../src/client/relay-leader.js'
import type { CallMessage, RelayMessage } from '../../src/client/relay-protocol.js'
import {
  ConnectionClosedError, InvalidInputError, type KilnErrorLike, LeaderChangedError, StaleTipError, StoreClosedError,
  StreamNotFoundError, errorFromPlain
} from '../../src/errors.js'
import type { Follows } from '../../src/host/follows.js'
import { type NodeHost, createNodeHost } from '../../src/host/serve.js'
import { silentLogger } from '../../src/logger.js'
import { type StreamNode, createStreamNode } from '../../src/node/stream-node.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import { kilnSigner } from '../fixtures/identities.js'
import { type RelayBus, createRelayBus } from '../fixtures/relay-bus.js'

/** vi.waitFor's default is 1 s; a call that verifies anchors or signs can take longer on a loaded machine. */
const WAIT = { timeout: 10_000 }

// The follower and the leader of the fallback relay (src/client/relay-*.ts) as fallback.ts wires
// them, over a fake BroadcastChannel, with a real node behind the leader: a StreamNode served by
// the worker's host over Comlink on Node's MessageChannel, as the dedicated worker serves it.
installErrorWire()

interface Tab {
  id: string
  client: RelayClient
  api: WorkerApi
  leader?: Leader
  /** What this tab's relay client reported through onListenerError. */
  listenerErrors: unknown[]
}

interface Relay {
  node: StreamNode
  host: NodeHost
  bus: RelayBus
  open: (id: string) => Tab
  /** The tab starts the node's worker and announces itself, as a tab granted the leader lock does. */
  lead: (tab: Tab, since: number) => void
  /** The tab closes: it leaves the channel, its tab lock frees and, if it led, its worker dies. */
  close: (tab: Tab) => Promise<void>
  /** What the leaders reported through onError (answers they could not send). */
  readonly leaderErrors: unknown[]
}

/** A Model's StreamID (a vector from Ceramic's tests): what a follow names. */
const A_MODEL = 'kjzl6hvfrbw6c5ajfmes842lu09vjxu5956e3xq0xk12gp2jcf9s90cagt2god9'

/** Follows kept in memory (the browser keeps them in IndexedDB). */
function memoryFollows (): Follows {
  let follows: Follow[] = []
  const same = (a: Follow, b: Follow): boolean => a.model === b.model && a.controller === b.controller
  return {
    list: () => [...follows],
    async add (follow) {
      if (follows.some((f) => same(f, follow))) return false
      follows = [...follows, follow]
      return true
    },
    async remove (follow) { follows = follows.filter((f) => !same(f, follow)) }
  }
}

const toClose: Array<() => void> = []
afterEach(() => { for (const close of toClose.splice(0)) close() })

async function startRelay (): Promise<Relay> {
  const node = createStreamNode({ store: createMemoryStore(), signer: await kilnSigner('alice') })
  const files = async (): Promise<FileStore> => createFileStore({ blocks: createFileBlockstore({ store: new MemoryBlockstore() }) })
  const host = createNodeHost({ node, mode: 'dedicated-worker', log: silentLogger, follows: memoryFollows(), files, anchors: createTrustedChains() })
  const bus = createRelayBus()
  // What the tab locks would tell: who watches each tab, to hear when it is gone.
  const watchers = new Map<string, Array<() => void>>()
  const watchGone = (client: string, gone: () => void): void => { watchers.set(client, [...watchers.get(client) ?? [], gone]) }
  // The connections each leader's worker serves: they end when that worker dies with its tab.
  const workers = new Map<string, WorkerApi[]>()
  const leaderErrors: unknown[] = []

  const open = (id: string): Tab => {
    const listenerErrors: unknown[] = []
    const client = createRelayClient({ clientId: id, send: (m) => { bus.post(id, m) }, onListenerError: (err) => { listenerErrors.push(err) } })
    const tab: Tab = { id, client, api: client.api, listenerErrors }
    // As fallback.ts's receive().
    bus.join(id, (message) => {
      switch (message.kind) {
        case 'who': return
        case 'leader': client.leaderIs(message.from, message.since); return
        case 'call': tab.leader?.handle(message); return
        default: client.handle(message)
      }
    })
    return tab
  }

  const lead = (tab: Tab, since: number): void => {
    const connections: WorkerApi[] = []
    workers.set(tab.id, connections)
    const openPort = (): MessagePort => {
      const { port1, port2 } = new MessageChannel()
      const connection = host.connect(watchGone)
      connections.push(connection)
      Comlink.expose(connection, port2)
      toClose.push(() => { port1.close(); port2.close() })
      return port1
    }
    tab.leader = startLeader({ clientId: tab.id, openPort, send: (m) => { bus.post(tab.id, m) }, watchGone, onError: (err) => { leaderErrors.push(err) } })
    tab.client.leaderIs(tab.id, since)
    bus.post(tab.id, { kind: 'leader', from: tab.id, since })
  }

  const close = async (tab: Tab): Promise<void> => {
    bus.leave(tab.id)
    for (const gone of watchers.get(tab.id) ?? []) gone()
    watchers.delete(tab.id)
    await Promise.all((workers.get(tab.id) ?? []).map(async (connection) => { await connection.bye() }))
    workers.delete(tab.id)
  }

  return { node, host, bus, open, lead, close, leaderErrors }
}

/** Tabs a (leading since 1), b (the follower under test) and c (another tab, the next leader). */
async function threeTabs (): Promise<Relay & { a: Tab, b: Tab, c: Tab }> {
  const relay = await startRelay()
  const [a, b, c] = [relay.open('a'), relay.open('b'), relay.open('c')]
  relay.lead(a, 1)
  return { ...relay, a, b, c }
}

/** The leader changes: a closes, c leads from `since`. */
async function handOver (relay: Relay & { a: Tab, c: Tab }, since = 2): Promise<void> {
  await relay.close(relay.a)
  relay.lead(relay.c, since)
}

type Outcome = { ok: true, value: unknown } | { ok: false, error: unknown }
const outcomeOf = async (call: Promise<unknown>): Promise<Outcome> => {
  try {
    return { ok: true, value: await call }
  } catch (error) {
    return { ok: false, error }
  }
}

const callsTo = (bus: RelayBus, leader: string, from: string): CallMessage[] =>
  bus.sent.filter((m): m is CallMessage => m.kind === 'call' && m.to === leader && m.from === from)

const answerOf = (bus: RelayBus, leader: string, id: number, to: string): RelayMessage | undefined =>
  bus.sent.find((m) => (m.kind === 'result' || m.kind === 'error') && m.from === leader && m.to === to && m.id === id)

async function otherStreamCar (): Promise<{ id: string, car: Uint8Array }> {
  const elsewhere = createStreamNode({ store: createMemoryStore(), signer: await kilnSigner('bob') })
  const { id } = await elsewhere.create({ content: { from: 'bob' } })
  return { id, car: await elsewhere.exportCar(id) }
}

describe('fallback relay: calls through the leader', () => {
  it("a follower's create, update and load reach the node and come back", async () => {
    const { b, node } = await threeTabs()
    const created = await b.api.create({ content: { title: 'from b' } })
    const updated = await b.api.update(created.id, { content: { title: 'edited in b' } })
    expect(updated).toMatchObject({ id: created.id, content: { title: 'edited in b' } })
    expect(await b.api.load(created.id)).toEqual(updated)
    expect((await node.load(created.id)).content).toEqual({ title: 'edited in b' })
    // Bytes cross too.
    const car = await b.api.exportCar(created.id)
    expect(car).toBeInstanceOf(Uint8Array)
    expect(car).toEqual(await node.exportCar(created.id))
  })

  it("the node's typed errors reach the follower with their class and code, and change nothing", async () => {
    const { b, node } = await threeTabs()
    const created = await b.api.create({ content: { n: 1 } })
    await b.api.update(created.id, { content: { n: 2 } })
    const stale = b.api.update(created.id, { content: { n: 3 }, expectedTip: created.tip })
    await expect(stale).rejects.toBeInstanceOf(StaleTipError)
    await expect(stale).rejects.toMatchObject({ code: 'ERR_STALE_TIP' })
    expect((await node.load(created.id)).content).toEqual({ n: 2 })

    const { id: notHere } = await otherStreamCar()
    const missing = b.api.load(notHere)
    await expect(missing).rejects.toBeInstanceOf(StreamNotFoundError)
    await expect(missing).rejects.toMatchObject({ code: 'ERR_STREAM_NOT_FOUND' })
  })

  it("a follower's subscription hears a write made by another tab", async () => {
    const { b, c } = await threeTabs()
    const created = await c.api.create({ content: { n: 1 } })
    const heard: StreamSnapshot[] = []
    await b.api.subscribe(created.id, (s) => { heard.push(s) })
    await c.api.update(created.id, { content: { n: 2 } })
    await vi.waitFor(() => { expect(heard.map((s) => s.content)).toEqual([{ n: 2 }]) }, WAIT)
  })

  it('a listener that throws is reported, and later events still arrive', async () => {
    const relay = await threeTabs()
    const { b, c, bus } = relay
    const created = await c.api.create({ content: { n: 1 } })
    const heard: unknown[] = []
    const oops = new Error('listener bug')
    await b.api.subscribe(created.id, (s) => {
      heard.push(s.content)
      if (heard.length === 1) throw oops
    })
    await c.api.update(created.id, { content: { n: 2 } })
    await c.api.update(created.id, { content: { n: 3 } })
    await vi.waitFor(() => { expect(heard).toEqual([{ n: 2 }, { n: 3 }]) }, WAIT)
    await bus.idle()
    expect(b.listenerErrors).toEqual([oops])

    const closedToo = new Error('closed listener bug')
    await b.api.onClosed(() => { throw closedToo })
    relay.host.announceClosed(new StoreClosedError())
    await vi.waitFor(() => { expect(b.listenerErrors).toEqual([oops, closedToo]) }, WAIT)
    expect(relay.leaderErrors).toEqual([])
  })

  it('an unknown call gets a typed ERR_INVALID_INPUT error reply', async () => {
    const { bus } = await threeTabs()
    const heard: RelayMessage[] = []
    bus.join('other-version', (m) => { if ('to' in m) heard.push(m) })
    // A tab of another Kiln version may know calls this one does not.
    bus.post('other-version', { kind: 'call', to: 'a', from: 'other-version', id: 7, method: 'frobnicate' as CallName, args: [] })
    await vi.waitFor(() => { expect(heard.map((m) => m.kind)).toEqual(['ack', 'error']) }, WAIT)
    const reply = heard[1] as { error: KilnErrorLike }
    expect(reply).toMatchObject({ to: 'other-version', from: 'a', id: 7, error: { code: 'ERR_INVALID_INPUT', details: { method: 'frobnicate' } } })
    expect(errorFromPlain(reply.error)).toBeInstanceOf(InvalidInputError)
  })
  it('a call whose arguments are not a list gets a typed ERR_INVALID_INPUT error reply', async () => {
    const { bus } = await threeTabs()
    const heard: RelayMessage[] = []
    bus.join('other-version', (m) => { if ('to' in m) heard.push(m) })
    for (const [id, method] of [[1, 'load'], [2, 'subscribe']] as const) {
      bus.post('other-version', { kind: 'call', to: 'a', from: 'other-version', id, method, args: { ref: 'x' } as unknown as unknown[] })
    }
    await vi.waitFor(() => { expect(heard.filter((m) => m.kind === 'error')).toHaveLength(2) }, WAIT)
    expect(heard.filter((m) => m.kind === 'error')).toMatchObject([
      { id: 1, error: { code: 'ERR_INVALID_INPUT', details: { method: 'load' } } },
      { id: 2, error: { code: 'ERR_INVALID_INPUT', details: { method: 'subscribe' } } }
    ])
  })
})

describe('fallback relay: a leader change', () => {
  it("after it, the follower's hello, onClosed and subscriptions are registered with the new leader", async () => {
    const relay = await threeTabs()
    const { b, c, bus, node, host } = relay
    await b.api.hello('b')
    const closed: KilnErrorLike[] = []
    await b.api.onClosed((error) => { closed.push(error) })
    const created = await c.api.create({ content: { n: 1 } })
    const heard: unknown[] = []
    await b.api.subscribe(created.id, (s) => { heard.push(s.content) })

    // The old leader's worker died with its tab: b's subscription lives on only if b told c.
    await handOver(relay)
    await bus.idle()
    expect((await node.stats()).subscriptions).toBe(1)
    expect(callsTo(bus, 'c', 'b').map((m) => m.method).sort()).toEqual(['hello', 'onClosed', 'subscribe'])

    await c.api.update(created.id, { content: { n: 2 } })
    await vi.waitFor(() => { expect(heard).toEqual([{ n: 2 }]) }, WAIT)
    host.announceClosed(new StoreClosedError())
    await vi.waitFor(() => { expect(closed).toMatchObject([{ code: 'ERR_STORE_CLOSED' }]) }, WAIT)
    await bus.idle()
    expect(heard).toEqual([{ n: 2 }])
    expect(closed).toHaveLength(1)
  })

  it("after it, the follower's hello lets the new leader's worker drop its subscriptions when its tab closes", async () => {
    const relay = await threeTabs()
    const { b, c, bus, node } = relay
    await b.api.hello('b')
    const created = await c.api.create({ content: { n: 1 } })
    await b.api.subscribe(created.id, () => {})
    await handOver(relay)
    await bus.idle()
    expect((await node.stats()).subscriptions).toBe(1)
    await relay.close(b)
    expect((await node.stats()).subscriptions).toBe(0)
  })

  it("a write sent again to the new leader is heard by the follower's own subscription", async () => {
    const relay = await threeTabs()
    const { b, bus } = relay
    const created = await b.api.create({ content: { n: 1 } })
    const heard: unknown[] = []
    await b.api.subscribe(created.id, (s) => { heard.push(s.content) })
    const lost = bus.hold((m) => m.kind === 'call' && m.to === 'a' && m.method === 'update')
    const update = b.api.update(created.id, { content: { n: 2 } })
    await vi.waitFor(() => { expect(lost.messages).toHaveLength(1) }, WAIT)
    await handOver(relay)
    lost.drop()
    expect(await update).toMatchObject({ content: { n: 2 } })
    await vi.waitFor(() => { expect(heard).toEqual([{ n: 2 }]) }, WAIT)
    // The new leader hears of the subscription before the write, so it holds whatever the worker's timing.
    expect(callsTo(bus, 'c', 'b').map((m) => m.method)).toEqual(['subscribe', 'update'])
  })

  it('reads the old leader took (load, query, status) are sent again to the new one and answered', async () => {
    const relay = await threeTabs()
    const { b, bus } = relay
    const created = await b.api.create({ content: { n: 1 }, family: 'reads' })
    const lost = bus.hold((m) => (m.kind === 'result' || m.kind === 'error') && m.from === 'a' && m.to === 'b')
    const load = b.api.load(created.id)
    const query = b.api.query({ family: 'reads' })
    const status = b.api.status()
    await vi.waitFor(() => { expect(lost.messages).toHaveLength(3) }, WAIT)
    await handOver(relay)
    expect(await load).toEqual(created)
    expect((await query).items).toEqual([created])
    expect(await status).toMatchObject({ mode: 'dedicated-worker', streams: 1 })
    expect(callsTo(bus, 'c', 'b').map((m) => m.method)).toEqual(['load', 'query', 'status'])
  })

  it("answers the old leader sent before its tab closed may arrive late: the read settles once, the failed write stays failed", async () => {
    const relay = await threeTabs()
    const { b, bus } = relay
    const created = await b.api.create({ content: { n: 1 } })
    const fromA = bus.hold((m) => (m.kind === 'result' || m.kind === 'error') && m.from === 'a' && m.to === 'b')
    const load = b.api.load(created.id)
    const write = outcomeOf(b.api.update(created.id, { content: { n: 2 } }))
    await vi.waitFor(() => { expect(fromA.messages).toHaveLength(2) }, WAIT)
    const fromC = bus.hold((m) => (m.kind === 'result' || m.kind === 'error') && m.from === 'c' && m.to === 'b')
    await handOver(relay)
    expect(await write).toMatchObject({ ok: false, error: { code: 'ERR_LEADER_CHANGED' } })
    await vi.waitFor(() => { expect(fromC.messages).toHaveLength(1) }, WAIT)
    // The old leader's answers were on their way when its tab closed; they arrive after the leader change.
    fromA.release()
    expect(await load).toEqual(created)
    fromC.release()
    await bus.idle()
    expect(await b.api.load(created.id)).toMatchObject({ content: { n: 2 } })
    expect([...b.listenerErrors, ...relay.leaderErrors]).toEqual([])
  })

  it('an older leader announcement (smaller since) does not replace a newer leader', async () => {
    const relay = await startRelay()
    const { bus } = relay
    const [a, b, c] = [relay.open('a'), relay.open('b'), relay.open('c')]
    // a's announcement is late: it arrives after c's newer one.
    const late = bus.hold((m) => m.kind === 'leader' && m.from === 'a')
    relay.lead(a, 1)
    relay.lead(c, 2)
    await bus.idle()
    late.release()
    await bus.idle()
    const created = await b.api.create({ content: { n: 1 } })
    expect(await b.api.load(created.id)).toEqual(created)
    expect(callsTo(bus, 'a', 'b')).toEqual([])
    expect(callsTo(bus, 'c', 'b').map((m) => m.method)).toEqual(['create', 'load'])
  })

  it('after bye the node drops the follower and its subscriptions, later calls fail, and a new leader hears nothing of it', async () => {
    const relay = await threeTabs()
    const { b, c, bus } = relay
    await b.api.hello('b')
    await b.api.onClosed(() => {})
    const created = await c.api.create({ content: { n: 1 } })
    const heard: unknown[] = []
    await b.api.subscribe(created.id, (s) => { heard.push(s.content) })
    expect(await c.api.status()).toMatchObject({ clients: 2, subscriptions: 1 })

    await b.api.bye()
    expect(await c.api.status()).toMatchObject({ clients: 1, subscriptions: 0 })
    const refused = b.api.load(created.id)
    await expect(refused).rejects.toBeInstanceOf(ConnectionClosedError)
    await expect(refused).rejects.toMatchObject({ code: 'ERR_CONNECTION_CLOSED' })
    await expect(b.api.subscribe(created.id, () => {})).rejects.toMatchObject({ code: 'ERR_CONNECTION_CLOSED' })

    await handOver(relay)
    await c.api.update(created.id, { content: { n: 2 } })
    await bus.idle()
    expect(callsTo(bus, 'c', 'b')).toEqual([])
    expect(await c.api.status()).toMatchObject({ clients: 1, subscriptions: 0 })
    expect(heard).toEqual([])
  })
})

/** What the calls below need, made by follower b beforehand: a stream it subscribed to, and another node's stream as a CAR. */
interface Made { stream: StreamSnapshot, sub: number, car: Uint8Array, file: FileInfo }

interface Sample {
  call: (api: WorkerApi, made: Made) => Promise<unknown>
  /** For a call that changes what the node holds: how to count that, and by how much one call changes it. */
  effect?: { count: (node: StreamNode, made: Made) => Promise<number>, by: number }
}

const streams = async (node: StreamNode): Promise<number> => (await node.stats()).streams
const subscriptions = async (node: StreamNode): Promise<number> => (await node.stats()).subscriptions

// One line per call of CALLS (the type makes a new call add its own), so every call is tried
// with the retry rule CALLS gives it.
const SAMPLES: { [M in CallName]: Sample } = {
  create: { call: async (api) => await api.create({ content: { made: 'once' } }), effect: { count: streams, by: 1 } },
  writeMany: { call: async (api) => await api.writeMany([{ create: { content: { made: 'in a batch' } } }]), effect: { count: streams, by: 1 } },
  update: {
    call: async (api, { stream }) => await api.update(stream.id, { patch: [{ op: 'add', path: '/list/-', value: 'once' }] }),
    effect: { count: async (node, { stream }) => (await node.history(stream.id)).length, by: 1 }
  },
  fork: { call: async (api, { stream }) => await api.fork(stream.id), effect: { count: streams, by: 1 } },
  // Its stream is not private: the node refuses it (ERR_INVALID_INPUT) whichever leader answers.
  share: { call: async (api, { stream }) => await api.share(stream.id, {}) },
  // This node has no encryption key: refused (ERR_NOT_A_READER) by either leader.
  publishEncryptionKey: { call: async (api) => await api.publishEncryptionKey() },
  load: { call: async (api, { stream }) => await api.load(stream.id) },
  has: { call: async (api, { stream }) => await api.has(stream.id) },
  history: { call: async (api, { stream }) => await api.history(stream.id) },
  conflicts: { call: async (api, { stream }) => await api.conflicts(stream.id) },
  resolveConflict: {
    call: async (api, { stream }) => await api.resolveConflict(stream.id, { path: '/list', value: ['settled'] }),
    effect: { count: async (node, { stream }) => (await node.history(stream.id)).length, by: 1 }
  },
  query: { call: async (api, { stream }) => await api.query({ controller: stream.metadata.controllers[0] }) },
  count: { call: async (api, { stream }) => await api.count({ controller: stream.metadata.controllers[0] }) },
  indexModel: { call: async (api) => await api.indexModel(A_MODEL, [['title']]) },
  indexes: { call: async (api) => await api.indexes() },
  exportCar: { call: async (api, { stream }) => await api.exportCar(stream.id) },
  importCar: { call: async (api, { car }) => await api.importCar(car), effect: { count: streams, by: 1 } },
  pin: { call: async (api, { stream }) => { await api.pin(stream.id) } },
  unpin: { call: async (api, { stream }) => { await api.unpin(stream.id) } },
  stats: { call: async (api) => await api.stats() },
  status: { call: async (api) => await api.status() },
  prepareSession: { call: async (api) => await api.prepareSession() },
  completeSession: { call: async (api) => await api.completeSession({} as Cacao) },
  sessions: { call: async (api) => await api.sessions() },
  signOut: { call: async (api) => { await api.signOut() } },
  addPeers: { call: async (api) => { await api.addPeers([]) } },
  follow: { call: async (api) => await api.follow({ model: A_MODEL }) },
  unfollow: { call: async (api) => await api.unfollow({ model: A_MODEL }) },
  follows: { call: async (api) => await api.follows() },
  trustAnchorChains: { call: async (api) => await api.trustAnchorChains({ 'eip155:1337': 'http://127.0.0.1:8545' }) },
  setPresence: { call: async (api, { stream }) => { await api.setPresence(stream.id, { cursor: 1 }) } },
  presence: { call: async (api, { stream }) => await api.presence(stream.id) },
  addFile: { call: async (api) => await api.addFile(new TextEncoder().encode('a file, added twice is stored once')) },
  readFile: { call: async (api, { file }) => await api.readFile(file.cid) },
  collectGarbage: { call: async (api) => await api.collectGarbage() },
  hello: { call: async (api) => { await api.hello('b') } },
  bye: { call: async (api) => { await api.bye() } },
  subscribe: { call: async (api, { stream }) => await api.subscribe(stream.id, () => {}), effect: { count: subscriptions, by: 1 } },
  unsubscribe: { call: async (api, { sub }) => { await api.unsubscribe(sub) }, effect: { count: subscriptions, by: -1 } },
  onClosed: { call: async (api) => { await api.onClosed(() => {}) } }
}

async function followerReady (): Promise<Awaited<ReturnType<typeof threeTabs>> & { made: Made }> {
  const relay = await threeTabs()
  const stream = await relay.b.api.create({ content: { list: [] } })
  const sub = await relay.b.api.subscribe(stream.id, () => {})
  const { car } = await otherStreamCar()
  const file = await relay.b.api.addFile(new TextEncoder().encode('a file to read'))
  await relay.bus.idle()
  return { ...relay, made: { stream, sub, car, file } }
}

/** The follower got the new leader's answer to call `id`, the same answer (value or error code). */
function expectAnsweredBy (bus: RelayBus, leader: string, id: number, method: CallName, outcome: Outcome): void {
  const answer = answerOf(bus, leader, id, 'b')
  expect(answer, `${leader} answers ${method}`).toBeDefined()
  if (answer?.kind === 'result') {
    expect(outcome).toMatchObject({ ok: true })
    if (CALLS[method].servedBy !== 'connection') expect(outcome).toEqual({ ok: true, value: answer.value })
  } else if (answer?.kind === 'error') {
    expect(outcome).toMatchObject({ ok: false, error: { code: answer.error.code } })
    expect(answer.error.code).not.toBe(LeaderChangedError.code)
  }
}

describe('fallback relay: retry rules come from CALLS', () => {
  for (const method of Object.keys(CALLS) as CallName[]) {
    const { retrySafe } = CALLS[method]
    const sample = SAMPLES[method]

    it(`${method}, taken by a leader that then goes, ${retrySafe ? 'is sent to the new leader and answered' : 'fails with ERR_LEADER_CHANGED and is not made again'}`, async () => {
      const relay = await followerReady()
      const { b, bus, node, made } = relay
      const before = await sample.effect?.count(node, made)
      const lost = bus.hold((m) => (m.kind === 'result' || m.kind === 'error') && m.from === 'a' && m.to === 'b')
      const outcome = outcomeOf(sample.call(b.api, made))
      // The old leader acknowledged the call and the node made it; its answer never left the tab.
      await vi.waitFor(() => { expect(lost.messages).toHaveLength(1) }, WAIT)
      const taken = callsTo(bus, 'a', 'b').at(-1)!
      expect(taken.method).toBe(method)
      expect(bus.sent).toContainEqual({ kind: 'ack', to: 'b', from: 'a', id: taken.id })

      await handOver(relay)
      const result = await outcome
      await bus.idle()
      const resent = callsTo(bus, 'c', 'b').filter((m) => m.id === taken.id)
      if (retrySafe) {
        expect(resent).toEqual([{ ...taken, to: 'c' }])
        expectAnsweredBy(bus, 'c', taken.id, method, result)
      } else {
        expect(resent).toEqual([])
        expect(result).toMatchObject({ ok: false })
        const { error } = result as { error: unknown }
        expect(error).toBeInstanceOf(LeaderChangedError)
        expect(error).toMatchObject({ code: 'ERR_LEADER_CHANGED', details: { method, outcome: 'unknown', leader: 'a' } })
      }
      if (sample.effect != null) expect(await sample.effect.count(node, made)).toBe(before! + sample.effect.by)
      expect(relay.leaderErrors).toEqual([])
    })

    it(`${method}, which no leader acknowledged, goes to the new leader and is made once`, async () => {
      const relay = await followerReady()
      const { b, bus, node, made } = relay
      const before = await sample.effect?.count(node, made)
      const lost = bus.hold((m) => m.kind === 'call' && m.to === 'a' && m.from === 'b')
      const outcome = outcomeOf(sample.call(b.api, made))
      await vi.waitFor(() => { expect(lost.messages).toHaveLength(1) }, WAIT)
      const unseen = lost.messages[0] as CallMessage
      expect(unseen.method).toBe(method)

      await handOver(relay)
      lost.drop()
      const result = await outcome
      await bus.idle()
      expect(callsTo(bus, 'c', 'b').filter((m) => m.id === unseen.id)).toEqual([{ ...unseen, to: 'c' }])
      expectAnsweredBy(bus, 'c', unseen.id, method, result)
      if (sample.effect != null) expect(await sample.effect.count(node, made)).toBe(before! + sample.effect.by)
      expect(relay.leaderErrors).toEqual([])
    })
  }
})
