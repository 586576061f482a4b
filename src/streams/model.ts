import { StreamID } from '../ids/index.js'
import type { VerifiedCommit } from '../identity/verify.js'
import type { RawGenesisCommit } from '../commits/decode.js'
import { MODEL_STREAM_ID } from '../commits/genesis.js'
import { InvalidInputError, SchemaViolationError } from '../errors.js'
import { AnchorStatus, EventType, SignatureStatus, type StreamState } from './state.js'
import type { ReducerContext } from './reducer.js'
import { assertOneController, signedEntry } from './shared.js'
import { assertValidSchema } from './validate.js'

/** The parts of a Model definition (v1 or v2) that Kiln's reducers use. */
export interface ModelDefinition {
  version: string
  name: string
  description?: string
  interface?: boolean
  implements?: string[]
  schema: object
  immutableFields?: string[]
  accountRelation: { type: 'list' | 'single' | 'none' } | { type: 'set', fields: string[] }
  relations?: Record<string, unknown>
  views?: Record<string, unknown>
}

export const MODEL_VERSION = '2.0'

export function applyModelGenesis (commit: VerifiedCommit & RawGenesisCommit, context: ReducerContext): StreamState {
  const { header, data } = commit.payload
  assertOneController(header.controllers)
  if (header.model == null || !StreamID.fromBytes(header.model).equals(MODEL_STREAM_ID)) {
    throw new InvalidInputError('A Model genesis must name Model.MODEL as its model')
  }
  assertModelDefinition(data)
  return {
    id: context.streamId,
    type: context.streamId.type,
    content: data,
    metadata: { controllers: header.controllers, model: MODEL_STREAM_ID },
    signature: SignatureStatus.SIGNED,
    anchorStatus: AnchorStatus.NOT_REQUESTED,
    log: [signedEntry(commit, EventType.INIT)]
  }
}

/** Checks a Model definition as Ceramic does: known version, strict 2020-12 schema, valid relation. */
export function assertModelDefinition (value: unknown): asserts value is ModelDefinition {
  const definition = value as Partial<ModelDefinition> | null
  if (definition == null || typeof definition !== 'object') throw new SchemaViolationError('A Model definition must be an object')
  if (typeof definition.name !== 'string' || definition.name === '') throw new SchemaViolationError('A Model needs a name')
  const [major, minor] = String(definition.version ?? '').split('.').map(Number)
  const [maxMajor, maxMinor] = MODEL_VERSION.split('.').map(Number)
  if (!Number.isInteger(major) || !Number.isInteger(minor) || major > maxMajor || (major === maxMajor && minor > maxMinor)) {
    throw new SchemaViolationError(`Unsupported Model version ${String(definition.version)}; Kiln supports up to ${MODEL_VERSION}`)
  }
  assertValidSchema(definition.schema, '2020-12')
  const relation = definition.accountRelation as { type?: string, fields?: unknown } | undefined
  const allowed = major === 1 ? ['list', 'single'] : ['list', 'single', 'set', 'none']
  if (relation == null || !allowed.includes(String(relation.type))) {
    throw new SchemaViolationError(`Invalid accountRelation ${JSON.stringify(relation)}`)
  }
  if (relation.type === 'set' && (!Array.isArray(relation.fields) || relation.fields.length === 0)) {
    throw new SchemaViolationError('A set accountRelation needs its fields')
  }
}
