import { describe, expect, it } from 'vitest'
import {
  EventType, SignatureStatus, StreamType, applyNewCommit, buildGenesis, buildSignedCommit, createFromGenesis,
  dataCommit, diffContent, modelGenesis, modelInstanceGenesis, tileGenesis, tipOf,
  type LoadContext, type ModelDefinition, type Signer, type StreamID, type StreamState
} from '../../src/index.js'
import { BlockMap } from '../fixtures/blocks.js'
import { kilnSigner } from '../fixtures/identities.js'

const noteSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  properties: { title: { type: 'string', maxLength: 20 }, author: { type: 'string' }, tag: { type: 'string' } },
  required: ['title']
}

function definition (accountRelation: ModelDefinition['accountRelation'], extra: Partial<ModelDefinition> = {}): ModelDefinition {
  return { version: '2.0', name: 'Note', interface: false, implements: [], schema: noteSchema, accountRelation, ...extra }
}

async function setup (relation: ModelDefinition['accountRelation'], extra: Partial<ModelDefinition> = {}) {
  const alice = await kilnSigner('alice')
  const blocks = new BlockMap()
  const modelCommit = await buildGenesis(StreamType.MODEL, modelGenesis(alice.id, definition(relation, extra)), alice)
  blocks.put(modelCommit)
  const model = await createFromGenesis(modelCommit.streamId, blocks.source)
  const context: LoadContext = { model: (id: StreamID) => id.equals(modelCommit.streamId) ? model.state.content as ModelDefinition : undefined }
  return { alice, blocks, modelId: modelCommit.streamId, model: model.state, context }
}

async function replace (state: StreamState, next: unknown, signer: Signer, blocks: BlockMap, context: LoadContext, header?: Record<string, unknown>) {
  const commit = await buildSignedCommit(dataCommit({ genesis: state.id.cid, prev: tipOf(state), patch: diffContent(state.content, next), header }), signer)
  blocks.put(commit)
  return (await applyNewCommit(state, commit.cid, blocks.source, context)).state
}

describe('Model streams', () => {
  it('a Model is created signed, and can never be updated', async () => {
    const { alice, blocks, model } = await setup({ type: 'list' })
    expect(model.type).toBe(StreamType.MODEL)
    expect((model.content as ModelDefinition).name).toBe('Note')
    await expect(replace(model, { ...(model.content as object), name: 'Renamed' }, alice, blocks, {})).rejects.toMatchObject({ code: 'ERR_FORBIDDEN_CHANGE' })
  })

  it('a Model whose schema is not strict 2020-12 is refused', async () => {
    const alice = await kilnSigner('alice')
    const blocks = new BlockMap()
    const bad = await buildGenesis(StreamType.MODEL, modelGenesis(alice.id, { ...definition({ type: 'list' }), schema: { type: 'object', properties: { a: { type: 'strnig' } } } }), alice)
    blocks.put(bad)
    await expect(createFromGenesis(bad.streamId, blocks.source)).rejects.toMatchObject({ code: 'ERR_SCHEMA_VIOLATION' })
    const unknownKeyword = await buildGenesis(StreamType.MODEL, modelGenesis(alice.id, { ...definition({ type: 'list' }), schema: { type: 'object', frobnicate: true } }), alice)
    blocks.put(unknownKeyword)
    await expect(createFromGenesis(unknownKeyword.streamId, blocks.source)).rejects.toMatchObject({ code: 'ERR_SCHEMA_VIOLATION' })
  })
})

describe('ModelInstanceDocument streams', () => {
  it('a list document is validated against its model on create and on every update', async () => {
    const { alice, blocks, modelId, context } = await setup({ type: 'list' })
    const doc = await buildGenesis(StreamType.MID, modelInstanceGenesis({ controller: alice.id, model: modelId, relation: 'list', content: { title: 'hi' } }), alice)
    blocks.put(doc)
    const { state } = await createFromGenesis(doc.streamId, blocks.source, context)
    expect(state.content).toEqual({ title: 'hi' })
    expect(state.metadata.model?.equals(modelId)).toBe(true)
    const updated = await replace(state, { title: 'hello', author: 'alice' }, alice, blocks, context)
    expect(updated.content).toEqual({ title: 'hello', author: 'alice' })
    await expect(replace(updated, { title: 'x'.repeat(21) }, alice, blocks, context)).rejects.toMatchObject({ code: 'ERR_SCHEMA_VIOLATION' })
    await expect(replace(updated, { title: 'ok', extra: 1 }, alice, blocks, context)).rejects.toMatchObject({ code: 'ERR_SCHEMA_VIOLATION' })
    const invalid = await buildGenesis(StreamType.MID, modelInstanceGenesis({ controller: alice.id, model: modelId, relation: 'list', content: { nope: 1 } }), alice)
    blocks.put(invalid)
    await expect(createFromGenesis(invalid.streamId, blocks.source, context)).rejects.toMatchObject({ code: 'ERR_SCHEMA_VIOLATION' })
  })

  it('only shouldIndex may change in a MID header', async () => {
    const { alice, blocks, modelId, context } = await setup({ type: 'list' })
    const doc = await buildGenesis(StreamType.MID, modelInstanceGenesis({ controller: alice.id, model: modelId, relation: 'list', content: { title: 'hi' } }), alice)
    blocks.put(doc)
    const { state } = await createFromGenesis(doc.streamId, blocks.source, context)
    const hidden = await replace(state, state.content, alice, blocks, context, { shouldIndex: false })
    expect(hidden.metadata.shouldIndex).toBe(false)
    await expect(replace(hidden, hidden.content, alice, blocks, context, { tags: ['x'] })).rejects.toMatchObject({ code: 'ERR_FORBIDDEN_CHANGE' })
    const bob = await kilnSigner('bob')
    await expect(replace(hidden, hidden.content, alice, blocks, context, { controllers: [bob.id] })).rejects.toMatchObject({ code: 'ERR_FORBIDDEN_CHANGE' })
  })

  it('a single document is deterministic, unsigned at genesis, and its first update sets immutable fields', async () => {
    const { alice, blocks, modelId, context } = await setup({ type: 'single' }, { immutableFields: ['author'] })
    const doc = await buildGenesis(StreamType.MID, modelInstanceGenesis({ controller: alice.id, model: modelId, relation: 'single' }))
    const again = await buildGenesis(StreamType.MID, modelInstanceGenesis({ controller: alice.id, model: modelId, relation: 'single' }))
    expect(doc.streamId.equals(again.streamId)).toBe(true)
    blocks.put(doc)
    const { state } = await createFromGenesis(doc.streamId, blocks.source, context)
    expect(state.content).toBeNull()
    expect(state.signature).toBe(SignatureStatus.GENESIS)
    const first = await replace(state, { title: 'profile', author: 'alice' }, alice, blocks, context)
    expect(first.log.map((e) => e.type)).toEqual([EventType.INIT, EventType.DATA])
    await expect(replace(first, { title: 'profile', author: 'mallory' }, alice, blocks, context)).rejects.toMatchObject({ code: 'ERR_FORBIDDEN_CHANGE' })
    const second = await replace(first, { title: 'renamed', author: 'alice' }, alice, blocks, context)
    expect(second.content).toEqual({ title: 'renamed', author: 'alice' })
  })

  it('a set document must keep its set fields equal to its unique values', async () => {
    // Ceramic's Model handler requires set fields to be required by the schema.
    const { alice, blocks, modelId, context } = await setup({ type: 'set', fields: ['tag'] }, { schema: { ...noteSchema, required: ['title', 'tag'] } })
    const doc = await buildGenesis(StreamType.MID, modelInstanceGenesis({ controller: alice.id, model: modelId, relation: 'set', unique: ['blue'] }))
    blocks.put(doc)
    const { state } = await createFromGenesis(doc.streamId, blocks.source, context)
    const ok = await replace(state, { title: 't', tag: 'blue' }, alice, blocks, context)
    expect(ok.content).toEqual({ title: 't', tag: 'blue' })
    await expect(replace(state, { title: 't', tag: 'red' }, alice, blocks, context)).rejects.toMatchObject({ code: 'ERR_SCHEMA_VIOLATION' })
  })

  it('relation rules for unique, content at deterministic genesis, interface models and a missing model', async () => {
    const { alice, blocks, modelId, context } = await setup({ type: 'single' })
    // A list-style genesis (random unique) for a single-relation model.
    const wrongUnique = await buildGenesis(StreamType.MID, modelInstanceGenesis({ controller: alice.id, model: modelId, relation: 'list', content: { title: 'x' } }), alice)
    blocks.put(wrongUnique)
    await expect(createFromGenesis(wrongUnique.streamId, blocks.source, context)).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' })
    await expect(createFromGenesis(wrongUnique.streamId, blocks.source, {})).rejects.toMatchObject({ code: 'ERR_MISSING_DEPENDENCY' })
    const iface = await setup({ type: 'list' }, { interface: true })
    const onInterface = await buildGenesis(StreamType.MID, modelInstanceGenesis({ controller: alice.id, model: iface.modelId, relation: 'list', content: { title: 'x' } }), alice)
    iface.blocks.put(onInterface)
    await expect(createFromGenesis(onInterface.streamId, iface.blocks.source, iface.context)).rejects.toMatchObject({ code: 'ERR_FORBIDDEN_CHANGE' })
  })

  it('content over 16 MB is refused', async () => {
    const { alice, blocks, modelId } = await setup({ type: 'list' })
    const bigModel: ModelDefinition = definition({ type: 'list' }, { schema: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object' } })
    const context: LoadContext = { model: (id) => id.equals(modelId) ? bigModel : undefined }
    const doc = await buildGenesis(StreamType.MID, modelInstanceGenesis({ controller: alice.id, model: modelId, relation: 'list', content: { title: 'small' } }), alice)
    blocks.put(doc)
    let { state } = await createFromGenesis(doc.streamId, blocks.source, context)
    // Each commit stays under the 256 KB block cap; the document grows past 16 MB.
    const chunk = 'y'.repeat(250_000)
    const refused = await (async () => {
      for (let i = 0; i < 70; i++) {
        try {
          state = await replace(state, { ...(state.content as object), [`k${i}`]: chunk }, alice, blocks, context)
        } catch (err) { return err as { code: string } }
      }
    })()
    expect(refused).toMatchObject({ code: 'ERR_OVERSIZE' })
    expect(JSON.stringify(state.content).length).toBeLessThanOrEqual(16_000_000)
  })
})

describe('Tile schemas', () => {
  it('a Tile with a schema is validated with draft-07 on create and update', async () => {
    const alice = await kilnSigner('alice')
    const blocks = new BlockMap()
    const schemaDoc = await buildGenesis(StreamType.TILE, tileGenesis({ controller: alice.id, content: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] } }), alice)
    const schemaRef = schemaDoc.streamId.atCommit(schemaDoc.cid).toString()
    const context: LoadContext = { schema: (ref) => ref === schemaRef ? { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] } : undefined }
    const doc = await buildGenesis(StreamType.TILE, tileGenesis({ controller: alice.id, content: { n: 1 }, schema: schemaRef }), alice)
    blocks.put(doc)
    const { state } = await createFromGenesis(doc.streamId, blocks.source, context)
    expect(state.metadata.schema).toBe(schemaRef)
    await expect(replace(state, { n: 'one' }, alice, blocks, context)).rejects.toMatchObject({ code: 'ERR_SCHEMA_VIOLATION' })
    expect(() => tileGenesis({ controller: alice.id, schema: schemaDoc.streamId.toString() })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_INPUT' }))
  })
})
