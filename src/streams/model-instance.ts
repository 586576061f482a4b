import { toString as bytesToString } from 'uint8arrays'
import { StreamID, StreamType } from '../ids/index.js'
import type { VerifiedCommit } from '../identity/verify.js'
import type { RawDataCommit, RawGenesisCommit } from '../commits/decode.js'
import { ForbiddenChangeError, InvalidInputError, MissingDependencyError, OversizeError, SchemaViolationError } from '../errors.js'
import { AnchorStatus, EventType, SignatureStatus, type StreamMetadata, type StreamState } from './state.js'
import type { ModelDefinition } from './model.js'
import type { ReducerContext } from './reducer.js'
import { assertOneController, forkProvenance, patchOrThrow, signedEntry } from './shared.js'
import { validateContent } from './validate.js'

/** ModelInstanceDocument.MAX_DOCUMENT_SIZE; measured here as UTF-8 bytes of the JSON content. */
export const MAX_DOCUMENT_BYTES = 16_000_000

export function applyModelInstanceGenesis (commit: VerifiedCommit & RawGenesisCommit, context: ReducerContext): StreamState {
  const { header, data } = commit.payload
  assertOneController(header.controllers)
  if (header.model == null) throw new InvalidInputError('A ModelInstanceDocument needs a model')
  const modelId = StreamID.fromBytes(header.model)
  if (modelId.type !== StreamType.MODEL) throw new InvalidInputError('The model of a ModelInstanceDocument must be a Model StreamID')
  const model = modelFor(modelId, context)
  if (model.interface === true) throw new ForbiddenChangeError('Documents cannot be created for an interface Model', { model: modelId.toString() })
  const relation = model.accountRelation.type
  if (relation === 'single' && header.unique != null) throw new InvalidInputError('A single-relation document must not have `unique`')
  if ((relation === 'list' || relation === 'set') && header.unique == null) throw new InvalidInputError(`A ${relation}-relation document needs \`unique\``)
  if ((relation === 'single' || relation === 'set') && data != null) {
    throw new InvalidInputError(`A deterministic (${relation}) document is created without content`)
  }
  const metadata: StreamMetadata = { controllers: header.controllers, model: modelId }
  if (header.unique != null) metadata.unique = header.unique
  if (header.context != null) metadata.context = StreamID.fromBytes(header.context)
  if (header.shouldIndex != null) metadata.shouldIndex = header.shouldIndex
  const provenance = forkProvenance(header.forkOf)
  if (provenance != null) metadata.forkOf = provenance
  const content = data ?? null
  if (content != null) checkContent(content, model)
  return {
    id: context.streamId,
    type: context.streamId.type,
    content,
    metadata,
    signature: commit.signature != null ? SignatureStatus.SIGNED : SignatureStatus.GENESIS,
    anchorStatus: AnchorStatus.NOT_REQUESTED,
    log: [signedEntry(commit, EventType.INIT)]
  }
}

export function applyModelInstanceData (state: StreamState, commit: VerifiedCommit & RawDataCommit, context: ReducerContext): StreamState {
  const header = commit.payload.header ?? {}
  for (const key of Object.keys(header)) {
    if (key !== 'shouldIndex') throw new ForbiddenChangeError('Updating metadata for ModelInstanceDocument Streams is not allowed', { key })
  }
  const model = modelFor(state.metadata.model as StreamID, context)
  const relation = model.accountRelation.type
  // The first data commit of a deterministic document sets its content, immutable fields included.
  const firstOfDeterministic = (relation === 'single' || relation === 'set') && state.log.every((e) => e.type !== EventType.DATA)
  if (!firstOfDeterministic) assertImmutableUntouched(commit.payload.data, model.immutableFields ?? [])
  const content = patchOrThrow(state.content, commit.payload.data)
  checkContent(content, model)
  if (model.accountRelation.type === 'set') assertSetFields(content, model.accountRelation.fields, state.metadata.unique)
  const metadata = header.shouldIndex == null ? state.metadata : { ...state.metadata, shouldIndex: header.shouldIndex }
  return { ...state, content, metadata, signature: SignatureStatus.SIGNED, anchorStatus: AnchorStatus.NOT_REQUESTED, log: [...state.log, signedEntry(commit, EventType.DATA)] }
}

function modelFor (id: StreamID, context: ReducerContext): ModelDefinition {
  const model = context.model?.(id)
  if (model == null) throw new MissingDependencyError(`Model ${id.toString()} is not loaded`, { model: id.toString() })
  return model
}

function checkContent (content: unknown, model: ModelDefinition): void {
  const size = new TextEncoder().encode(JSON.stringify(content)).length
  if (size > MAX_DOCUMENT_BYTES) throw new OversizeError(`Content is ${size} bytes; the limit is ${MAX_DOCUMENT_BYTES}`, { size })
  validateContent(content, model.schema, '2020-12')
}

function assertImmutableUntouched (patch: Array<{ path: string }>, immutable: string[]): void {
  for (const op of patch) {
    const field = op.path.split('/')[1]
    if (immutable.includes(field)) throw new ForbiddenChangeError(`Immutable field "${field}" cannot be updated`, { field })
  }
}

function assertSetFields (content: unknown, fields: string[], unique: StreamMetadata['unique']): void {
  const values = fields.map((field) => (content as Record<string, unknown> | null)?.[field])
  const expected = unique instanceof Uint8Array ? bytesToString(unique, 'utf8') : String(unique)
  if (values.map((v) => String(v)).join('|') !== expected) {
    throw new SchemaViolationError(`Set fields ${fields.join(', ')} must equal the document's unique values`, { fields })
  }
}
