import jsonPatch from 'fast-json-patch'
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
  if (relation.type === 'set') {
    if (!Array.isArray(relation.fields) || relation.fields.length === 0) throw new SchemaViolationError('A set accountRelation needs its fields')
    assertSetFields(relation.fields.map(String), definition.schema as ObjectSchema)
  }
}

interface ObjectSchema { properties?: Record<string, { type?: unknown, $ref?: string }>, required?: string[] }

/** SET_FIELD_TYPES in Ceramic's model handler: what a set field's value may be. */
const SET_FIELD_TYPES = ['boolean', 'integer', 'number', 'string']

// As Ceramic's Model handler: every set field is a required scalar property (a local $ref is followed).
function assertSetFields (fields: string[], schema: ObjectSchema): void {
  for (const field of fields) {
    let property: { type?: unknown, $ref?: string } | undefined = schema.properties?.[field]
    if (typeof property?.$ref === 'string' && property.$ref.startsWith('#')) property = valueAt(schema, property.$ref.slice(1))
    if (property == null) throw new SchemaViolationError(`Set field ${field} is not in the schema`, { field })
    if (!SET_FIELD_TYPES.includes(String(property.type))) {
      throw new SchemaViolationError(`Set field ${field} must be one of ${SET_FIELD_TYPES.join(', ')}, not ${String(property.type)}`, { field })
    }
    if (!(schema.required ?? []).includes(field)) throw new SchemaViolationError(`Set field ${field} must be required by the schema`, { field })
  }
}

function valueAt (schema: object, pointer: string): { type?: unknown } | undefined {
  try {
    return jsonPatch.getValueByPointer(schema, pointer)
  } catch {
    return undefined
  }
}
