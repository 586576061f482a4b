import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import { identity } from 'multiformats/hashes/identity'
import { randomBytes } from '@noble/hashes/utils.js'
import { toString as bytesToString, fromString as bytesFromString } from 'uint8arrays'
import { CommitID, StreamID, StreamType } from '../ids/index.js'
import { InvalidInputError } from '../errors.js'
import { DAG_CBOR_CODE } from './block.js'

/** A genesis header, as Ceramic encodes it (undefined keys are never written). */
export interface GenesisHeader {
  controllers: string[]
  family?: string
  schema?: string
  tags?: string[]
  /** Tile: base64 string; Model/MID: raw bytes. */
  unique?: string | Uint8Array
  forbidControllerChange?: boolean
  /** StreamID bytes of the model (Model.MODEL for a Model, the model stream for a MID). */
  model?: Uint8Array
  sep?: string
  context?: Uint8Array
  shouldIndex?: boolean
  /**
   * Kiln's fork provenance: the CommitID (string) of the version this stream was forked from.
   * Ceramic's handlers accept a genesis with it (test/node/fork.test.ts); no later commit changes it.
   */
  forkOf?: string
}

export interface GenesisPayload {
  header: GenesisHeader
  data?: unknown
}

/** A genesis payload and whether Ceramic signs it (only content-free, deterministic ones are not). */
export interface GenesisPlan {
  payload: GenesisPayload
  signed: boolean
}

export interface TileGenesisInit {
  controller: string
  content?: unknown
  family?: string
  /** A CommitID string of the schema stream, as Ceramic requires. */
  schema?: string
  tags?: string[]
  /** No random `unique`: the StreamID follows from the header alone (needs family and/or tags). */
  deterministic?: boolean
  forbidControllerChange?: boolean
  /** A fork's source version (CommitID string). */
  forkOf?: string
}

export type AccountRelation = 'list' | 'single' | 'set' | 'none'

export interface ModelInstanceGenesisInit {
  controller: string
  model: StreamID
  /** The model's account relation decides how `unique` is made. */
  relation: AccountRelation
  content?: unknown
  /** For 'set': the values of the model's set fields, in order. */
  unique?: string[]
  context?: StreamID
  /** A fork's source version (CommitID string). */
  forkOf?: string
}

export const MODEL_SEPARATOR = 'model'

/**
 * Model.MODEL: the UNLOADABLE StreamID every Model's header points at. Ceramic builds it oddly: a
 * "multihash" whose code is dag-cbor's (0x71) wrapping the identity multihash of cbor('model-v1').
 */
export const MODEL_STREAM_ID = new StreamID(
  StreamType.UNLOADABLE,
  CID.createV1(DAG_CBOR_CODE, createDigest(DAG_CBOR_CODE, identity.digest(dagCbor.encode('model-v1')).bytes))
)

/** Builds a Tile genesis payload byte-compatible with TileDocument.makeGenesis. */
export function tileGenesis (init: TileGenesisInit): GenesisPlan {
  if (init.schema != null) assertCommitId(init.schema)
  if (init.deterministic === true) {
    if (init.family == null && init.tags == null) {
      throw new InvalidInputError('Family and/or tags are required when creating a deterministic tile document')
    }
  }
  const header = withoutUndefined<GenesisHeader>({
    controllers: [init.controller],
    family: init.family,
    schema: init.schema,
    tags: init.tags,
    unique: init.deterministic === true ? undefined : bytesToString(randomBytes(12), 'base64'),
    forbidControllerChange: init.forbidControllerChange === true ? true : undefined,
    forkOf: init.forkOf
  })
  // Ceramic writes no `data` key at all for a genesis without content.
  return init.content == null ? { payload: { header }, signed: false } : { payload: { data: init.content, header }, signed: true }
}

/** Builds a Model genesis payload byte-compatible with Model._makeRawGenesis. */
export function modelGenesis (controller: string, definition: unknown): GenesisPlan {
  if (definition == null) throw new InvalidInputError('Genesis content cannot be null')
  const header = { controllers: [controller], model: MODEL_STREAM_ID.bytes, sep: MODEL_SEPARATOR }
  return { payload: { data: definition, header }, signed: true }
}

/** Builds a MID genesis payload byte-compatible with ModelInstanceDocument._makeRawGenesis. */
export function modelInstanceGenesis (init: ModelInstanceGenesisInit): GenesisPlan {
  if (init.model.type !== StreamType.MODEL) throw new InvalidInputError('The model of a ModelInstanceDocument must be a Model StreamID')
  const header: GenesisHeader = { controllers: [init.controller], model: init.model.bytes, sep: MODEL_SEPARATOR }
  switch (init.relation) {
    case 'single':
      if (init.content != null) throw new InvalidInputError('A single-relation document is created without content')
      break
    case 'set':
      if (init.unique == null || init.unique.length === 0) throw new InvalidInputError('A set-relation document needs its unique field values')
      if (init.content != null) throw new InvalidInputError('A set-relation document is created without content')
      header.unique = bytesFromString(init.unique.join('|'), 'utf8')
      break
    default:
      header.unique = randomBytes(12)
  }
  if (init.context != null) header.context = init.context.bytes
  if (init.forkOf != null) header.forkOf = init.forkOf
  // SINGLE and SET documents are deterministic: unsigned, so anyone can compute their StreamID.
  const deterministic = init.relation === 'single' || init.relation === 'set'
  return { payload: { data: init.content ?? null, header }, signed: !deterministic }
}

function assertCommitId (schema: string): void {
  try {
    CommitID.fromString(schema)
  } catch (err) {
    throw new InvalidInputError('Schema must be a CommitID', { schema }, { cause: err })
  }
}

export function withoutUndefined<T extends object> (value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T
}
