/**
 * An app written with Ceramic's own SDK (@ceramic-sdk/*, the clients of ceramic-one's HTTP API)
 * runs unchanged against a real `kiln serve`: it creates a Model and a document, updates the
 * document and reads it back, and the same stream is in Kiln's own API and on a Kiln node that syncs.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { multiaddr } from '@multiformats/multiaddr'
import { CeramicClient } from '@ceramic-sdk/http-client'
import { ModelClient } from '@ceramic-sdk/model-client'
import { ModelInstanceClient, createDataEvent, createInitEvent } from '@ceramic-sdk/model-instance-client'
import { StreamClient } from '@ceramic-sdk/stream-client'
import * as dagJose from 'dag-jose'
import { bases } from 'multiformats/basics'
import { CID } from 'multiformats/cid'
import { cidFor, DAG_JOSE_CODE } from '../../src/commits/block.js'
import { decodeCar, encodeCar } from '../../src/commits/car.js'
import { ceramicDid } from '../fixtures/identities.js'
import { startPeer, waitFor } from '../sync/peers.js'
import { type Server, get, serve as startServe, stop, tempDir } from './kiln-serve.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map(async (stop) => await stop()))
})

const serve = async (dir: string, args: string[] = []): Promise<Server> => await startServe(cleanups, dir, args)

type ModelDefinition = Parameters<ModelClient['createDefinition']>[0]

const NOTE_MODEL: ModelDefinition = {
  version: '2.0',
  name: 'Note',
  interface: false,
  implements: [],
  accountRelation: { type: 'list' },
  schema: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    properties: { title: { type: 'string', maxLength: 100 }, done: { type: 'boolean' } },
    required: ['title'],
    additionalProperties: false
  },
  relations: {},
  views: {}
}

async function post (server: Server, path: string, body: string): Promise<{ status: number, body: any }> {
  const res = await fetch(`${server.ready.http}/ceramic${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  const type = res.headers.get('content-type') ?? ''
  return { status: res.status, body: type.startsWith('application/json') ? await res.json() : await res.text() }
}

/** A signed event's CAR, built here so a test can alter the event first; multibase base64, as the SDK sends it. */
async function eventData (event: Awaited<ReturnType<typeof createDataEvent>>): Promise<string> {
  const envelope = dagJose.encode(event.jws)
  const root = await cidFor(DAG_JOSE_CODE, envelope)
  const payload = CID.asCID(event.jws.link) as unknown as CID
  return bases.base64.encode(await encodeCar(root, [{ cid: root, bytes: envelope }, { cid: payload, bytes: event.linkedBlock }]))
}

/**
 * The feed through the SDK's typed client. (CeramicClient.getEventsFeed in 0.12 passes its
 * parameters where openapi-fetch ignores them, so it always reads from the start.)
 */
async function feed (client: CeramicClient, query: { resumeAt?: string, limit?: number, includeData?: 'none' | 'full' } = {}): Promise<{ events: Array<{ id: string, data?: string }>, resumeToken: string }> {
  const { data, error } = await client.api.GET('/feed/events', { params: { query } })
  if (error != null) throw new Error(`feed: ${JSON.stringify(error)}`)
  return data as { events: Array<{ id: string, data?: string }>, resumeToken: string }
}

/** What a refused request must leave unchanged: the stream count, the feed's length, a stream's tip. */
async function observable (server: Server, client: CeramicClient, streamId: string): Promise<unknown> {
  const { data } = await client.api.GET('/feed/resumeToken')
  return { streams: (await get(server, '/healthz')).body.streams, feed: data, state: await new StreamClient({ ceramic: client }).getStreamState(streamId) }
}

describe('ceramic-one\'s HTTP API on kiln serve', () => {
  it('an app built on Ceramic\'s SDK creates a Model and a document, updates and reads it back; Kiln\'s API and a syncing Kiln node see the same stream', async () => {
    const server = await serve(tempDir())
    const ceramic = new CeramicClient({ url: server.ready.http })
    const did = await ceramicDid('alice')

    expect((await fetch(`${server.ready.http}/ceramic/liveness`)).status).toBe(200)
    expect(await ceramic.getVersion()).toMatchObject({ version: '0.58.0' })

    const models = new ModelClient({ ceramic, did })
    const modelId = await models.createDefinition(NOTE_MODEL)
    await ceramic.registerInterestModel(modelId.toString())
    expect(await models.getModelDefinition(modelId)).toEqual(NOTE_MODEL)

    const documents = new ModelInstanceClient({ ceramic, did })
    const created = await documents.createInstance({ model: modelId, content: { title: 'Buy milk' } })
    const docId = created.baseID.toString()
    const updated = await documents.updateDocument({ streamID: docId, newContent: { title: 'Buy oat milk', done: true } })

    const state = await documents.getDocumentState(docId)
    expect(state.content).toEqual({ title: 'Buy oat milk', done: true })
    expect(state.commitID.toString()).toBe(updated.commitID.toString())
    expect(state.metadata.controller).toBe(did.id)
    expect(state.metadata.model.toString()).toBe(modelId.toString())
    expect(await models.getDocumentModel(docId)).toBe(modelId.toString())
    // The raw StreamState, as ceramic-one shapes it.
    const raw = await new StreamClient({ ceramic }).getStreamState(docId)
    expect(raw).toMatchObject({ id: docId, event_cid: updated.commitID.commit.toString(), controller: did.id })
    expect(JSON.parse(new TextDecoder().decode(bases.base64url.decode(raw.data)))).toEqual({ metadata: { shouldIndex: true }, content: { title: 'Buy oat milk', done: true } })

    // An event reads back as the CAR the SDK posted (its root is the event).
    const car = await ceramic.getEventCAR(updated.commitID.commit.toString())
    expect(car.roots[0].toString()).toBe(updated.commitID.commit.toString())

    // Kiln's own API, and a Kiln node that syncs with the server, hold the same stream.
    expect((await get(server, `/streams/${docId}`)).body).toMatchObject({ id: docId, tip: updated.commitID.commit.toString(), content: { title: 'Buy oat milk', done: true } })
    const bob = await startPeer('bob', { listen: false })
    cleanups.push(bob.stop)
    await bob.libp2p.dial(multiaddr(server.ready.multiaddrs[0]))
    await waitFor(async () => await bob.node.has(docId), 'the document to reach the syncing node')
    await waitFor(async () => (await bob.node.load(docId)).tip === updated.commitID.commit.toString(), 'the update to reach the syncing node')
    expect((await bob.node.load(docId)).content).toEqual({ title: 'Buy oat milk', done: true })
    expect((await bob.node.load(modelId.toString())).content).toMatchObject({ name: 'Note' })
    // Once connected, an event posted over HTTP is announced to the node like any accepted commit.
    const later = await documents.updateDocument({ streamID: docId, newContent: { title: 'Buy oat milk', done: false } })
    await waitFor(async () => (await bob.node.load(docId)).tip === later.commitID.commit.toString(), 'the next update to reach the connected node')
    expect((await bob.node.load(docId)).content).toEqual({ title: 'Buy oat milk', done: false })

    // A single-relation document: the SDK posts its init event unsigned (deterministic), then signs updates.
    const profileModel: ModelDefinition = { ...NOTE_MODEL, name: 'Profile', accountRelation: { type: 'single' } }
    const profileModelId = await models.createDefinition(profileModel)
    const profile = await documents.createInstance({ model: profileModelId, modelDefinition: profileModel })
    expect(await documents.createInstance({ model: profileModelId, modelDefinition: profileModel })).toEqual(profile)
    await documents.updateDocument({ streamID: profile.baseID.toString(), newContent: { title: 'Alice' } })
    expect((await documents.getDocumentState(profile.baseID.toString())).content).toEqual({ title: 'Alice' })
  }, 60_000)

  it('the feed lists every event once, each after its prev, and its resume token survives a restart', async () => {
    const dir = tempDir()
    const server = await serve(dir)
    const ceramic = new CeramicClient({ url: server.ready.http })
    const did = await ceramicDid('alice')
    const modelId = await new ModelClient({ ceramic, did }).createDefinition(NOTE_MODEL)
    const documents = new ModelInstanceClient({ ceramic, did })
    const created = await documents.createInstance({ model: modelId, content: { title: 'one' } })
    const first = await documents.updateDocument({ streamID: created.baseID.toString(), newContent: { title: 'two' } })

    const all = await ceramic.getEventsFeed()
    expect(all.events.map((e: { id: string }) => e.id)).toEqual([modelId.cid.toString(), created.commit.toString(), first.commitID.commit.toString()])
    expect(all.resumeToken).toBe('3')
    expect(await feed(ceramic, { resumeAt: all.resumeToken })).toEqual({ events: [], resumeToken: '3' })
    const paged = await feed(ceramic, { limit: 2 })
    expect(paged.events).toHaveLength(2)
    expect((await feed(ceramic, { resumeAt: paged.resumeToken })).events.map((e: { id: string }) => e.id)).toEqual([first.commitID.commit.toString()])

    // With data, each event is its CAR, multibase base64, rooted at the event.
    const full = await feed(ceramic, { includeData: 'full' })
    expect(full.events).toHaveLength(3)
    for (const event of full.events) expect((await decodeCar(bases.base64.decode(event.data as string))).root.toString()).toBe(event.id)

    expect(await stop(server)).toBe(0)
    const again = await serve(dir)
    const resumed = new CeramicClient({ url: again.ready.http })
    expect((await feed(resumed)).events.map((e: { id: string }) => e.id)).toEqual(all.events.map((e: { id: string }) => e.id))
    const second = await new ModelInstanceClient({ ceramic: resumed, did }).updateDocument({ streamID: created.baseID.toString(), newContent: { title: 'three' } })
    expect(await feed(resumed, { resumeAt: all.resumeToken })).toEqual({ events: [{ id: second.commitID.commit.toString() }], resumeToken: '4' })
    expect(await resumed.api.GET('/feed/resumeToken').then((r) => r.data)).toEqual({ resumeToken: '4' })
  }, 60_000)

  it('answers an interest by what kiln serve stores: inside its --interest is 204, outside is 400 naming the flag', async () => {
    const [mine, other] = ['kjzl6hvfrbw6c5ajfmes842lu09vjxu5956e3xq0xk12gp2jcf9s90cagt2god9', 'kjzl6hvfrbw6c8apa5yce6ah3fsz9sgrh6upwu5pa2d2tvcn8q2lkfbgqbh8wzh']
    const server = await serve(tempDir(), ['--interest', `model:${mine}`])
    const ceramic = new CeramicClient({ url: server.ready.http })
    await ceramic.registerInterestModel(mine)
    expect((await post(server, `/interests/model/${mine}?controller=did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK`, '')).status).toBe(204)
    expect(await post(server, '/interests', JSON.stringify({ sep: 'model', sepValue: other }))).toMatchObject({ status: 400, body: { code: 'ERR_INVALID_INPUT', message: expect.stringContaining(`--interest model:${other}`) } })
    expect(await post(server, '/interests', JSON.stringify({ sep: 'model', sepValue: mine, streamId: other }))).toMatchObject({ status: 400, body: { message: expect.stringContaining('controller is required') } })
  }, 60_000)

  it('refuses a forged event, a malformed CAR, a non-multibase body, bad JSON and an oversize body with 4xx and typed errors, and changes nothing; unknown ids are 404', async () => {
    const server = await serve(tempDir())
    const ceramic = new CeramicClient({ url: server.ready.http })
    const did = await ceramicDid('alice')
    const modelId = await new ModelClient({ ceramic, did }).createDefinition(NOTE_MODEL)
    const documents = new ModelInstanceClient({ ceramic, did })
    const created = await documents.createInstance({ model: modelId, content: { title: 'mine' } })
    const docId = created.baseID.toString()
    const before = await observable(server, ceramic, docId)

    // A real update signed by alice, with one signature byte changed.
    const event = await createDataEvent({ controller: did, currentID: created, currentContent: { title: 'mine' }, newContent: { title: 'forged' } })
    const signature = event.jws.signatures[0].signature
    const forged = { ...event, jws: { ...event.jws, signatures: [{ ...event.jws.signatures[0], signature: (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1) }] } }
    expect(await post(server, '/events', JSON.stringify({ data: await eventData(forged) }))).toMatchObject({ status: 400, body: { code: 'ERR_INVALID_SIGNATURE', message: expect.any(String) } })

    // Signed by someone who does not control the document.
    const mallory = await createDataEvent({ controller: await ceramicDid('mallory'), currentID: created, currentContent: { title: 'mine' }, newContent: { title: 'taken' } })
    expect(await post(server, '/events', JSON.stringify({ data: await eventData(mallory) }))).toMatchObject({ status: 400, body: { code: 'ERR_WRONG_CONTROLLER' } })

    // An update of a document this server never saw: its stream is not known here.
    const unseen = await createInitEvent({ model: modelId, content: { title: 'elsewhere' }, controller: did })
    const unseenCid = await cidFor(DAG_JOSE_CODE, dagJose.encode(unseen.jws))
    const orphan = await createDataEvent({ controller: did, currentID: { baseID: { cid: unseenCid }, commit: unseenCid } as unknown as typeof created, currentContent: { title: 'elsewhere' }, newContent: { title: 'orphan' } })
    expect(await post(server, '/events', JSON.stringify({ data: await eventData(orphan) }))).toMatchObject({ status: 400, body: { code: 'ERR_BLOCK_NOT_FOUND', message: expect.stringContaining('post the stream\'s earlier events first') } })

    expect(await post(server, '/events', JSON.stringify({ data: bases.base64.encode(new TextEncoder().encode('not a car')) }))).toMatchObject({ status: 400, body: { code: 'ERR_INVALID_CAR' } })
    expect(await post(server, '/events', JSON.stringify({ data: '!not multibase' }))).toMatchObject({ status: 400, body: { code: 'ERR_INVALID_INPUT' } })
    expect(await post(server, '/events', JSON.stringify({ data: 'm@@@' }))).toMatchObject({ status: 400, body: { code: 'ERR_INVALID_INPUT' } })
    expect(await post(server, '/events', '{"data":')).toMatchObject({ status: 400, body: { code: 'ERR_INVALID_INPUT' } })
    expect(await post(server, '/events', JSON.stringify({ car: 'x' }))).toMatchObject({ status: 400, body: { code: 'ERR_INVALID_INPUT' } })
    expect(await post(server, '/events', JSON.stringify({ data: 'm' + 'A'.repeat(3 * 1024 * 1024) }))).toMatchObject({ status: 413, body: { code: 'ERR_OVERSIZE' } })
    // The same event again is accepted (it is already held) and changes nothing either.
    expect((await post(server, '/events', JSON.stringify({ data: await ceramic.getEventData(created.commit.toString()) }))).status).toBe(204)
    expect(await observable(server, ceramic, docId)).toEqual(before)

    // A page on another origin may call it: preflights are answered.
    const preflight = await fetch(`${server.ready.http}/ceramic/events`, { method: 'OPTIONS', headers: { origin: 'http://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } })
    expect(preflight.status).toBe(200)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*')
    expect(preflight.headers.get('access-control-allow-headers')).toContain('content-type')

    const unknownStream = 'kjzl6kcym7w8y7b5tpz0f8xpobnx1dtdqcjxyb4mu8dlftmfvjgjlhqhy4vqp9u'
    expect((await fetch(`${server.ready.http}/ceramic/streams/${unknownStream}`)).status).toBe(404)
    expect(await get(server, '/ceramic/streams/not-a-stream')).toMatchObject({ status: 400, body: { code: 'ERR_INVALID_ID' } })
    const unknownEvent = (await cidFor(DAG_JOSE_CODE, new TextEncoder().encode('nothing'))).toString()
    expect((await fetch(`${server.ready.http}/ceramic/events/${unknownEvent}`)).status).toBe(404)
    // A block the server holds that is not an event (a payload) is not an event either.
    expect((await fetch(`${server.ready.http}/ceramic/events/${event.jws.link?.toString() ?? ''}`)).status).toBe(404)
    expect(await get(server, '/ceramic/events/zzz')).toMatchObject({ status: 400, body: { code: 'ERR_INVALID_ID' } })
    expect(await get(server, '/ceramic/feed/events?resumeAt=abc')).toMatchObject({ status: 400, body: { code: 'ERR_INVALID_INPUT' } })
    expect(await get(server, '/ceramic/feed/events?includeData=some')).toMatchObject({ status: 400, body: { code: 'ERR_INVALID_INPUT' } })
    expect(await post(server, '/interests', JSON.stringify({ sep: 'controller', sepValue: did.id }))).toMatchObject({ status: 400, body: { code: 'ERR_INVALID_INPUT' } })
    expect((await post(server, `/interests/model/${modelId.toString()}?controller=${did.id}`, '')).status).toBe(204)
    expect(await observable(server, ceramic, docId)).toEqual(before)
  }, 60_000)
})
