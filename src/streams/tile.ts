import { CommitID } from '../ids/index.js'
import type { VerifiedCommit } from '../identity/verify.js'
import type { RawDataCommit, RawGenesisCommit } from '../commits/decode.js'
import { ForbiddenChangeError, InvalidInputError, MissingDependencyError } from '../errors.js'
import { AnchorStatus, EventType, SignatureStatus, type StreamMetadata, type StreamState } from './state.js'
import type { ReducerContext } from './reducer.js'
import { validateContent } from './validate.js'
import { forkProvenance, patchOrThrow, signedEntry, assertOneController } from './shared.js'

const UPDATABLE_HEADER_KEYS = new Set(['controllers', 'schema', 'family', 'tags'])

export function applyTileGenesis (commit: VerifiedCommit & RawGenesisCommit, context: ReducerContext): StreamState {
  const { header, data } = commit.payload
  assertOneController(header.controllers)
  const { forkOf, ...rest } = header
  const metadata = { ...rest } as StreamMetadata
  const provenance = forkProvenance(forkOf)
  if (provenance != null) metadata.forkOf = provenance
  const content = data ?? {}
  checkSchema(content, metadata, context)
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

export function applyTileData (state: StreamState, commit: VerifiedCommit & RawDataCommit, context: ReducerContext): StreamState {
  const header = commit.payload.header ?? {}
  for (const key of Object.keys(header)) {
    if (!UPDATABLE_HEADER_KEYS.has(key)) throw new ForbiddenChangeError(`A Tile's \`${key}\` cannot change after genesis`, { key })
  }
  if (header.controllers != null) {
    assertOneController(header.controllers)
    if (state.metadata.forbidControllerChange === true && header.controllers[0] !== state.metadata.controllers[0]) {
      throw new ForbiddenChangeError('This stream forbids changing its controller')
    }
  }
  const metadata = { ...state.metadata, ...header } as StreamMetadata
  const content = patchOrThrow(state.content, commit.payload.data)
  checkSchema(content, metadata, context)
  return { ...state, content, metadata, signature: SignatureStatus.SIGNED, anchorStatus: AnchorStatus.NOT_REQUESTED, log: [...state.log, signedEntry(commit, EventType.DATA)] }
}

function checkSchema (content: unknown, metadata: StreamMetadata, context: ReducerContext): void {
  if (metadata.schema == null) return
  try {
    CommitID.fromString(metadata.schema)
  } catch (err) {
    throw new InvalidInputError('Schema must be a CommitID', { schema: metadata.schema }, { cause: err })
  }
  const schema = context.schema?.(metadata.schema)
  if (schema == null) throw new MissingDependencyError(`Schema ${metadata.schema} is not loaded`, { schema: metadata.schema })
  validateContent(content, schema, 'draft-07')
}

