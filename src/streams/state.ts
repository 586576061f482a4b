import type { CID } from 'multiformats/cid'
import type { StreamID } from '../ids/index.js'
import type { AnchorProof } from '../commits/time.js'

/** Ceramic's numeric enums, kept as numbers so states compare with Ceramic's. */
export const EventType = { INIT: 0, DATA: 1, TIME: 2 } as const
export type EventTypeCode = typeof EventType[keyof typeof EventType]
export const SignatureStatus = { GENESIS: 0, PARTIAL: 1, SIGNED: 2 } as const
export const AnchorStatus = { NOT_REQUESTED: 0, PENDING: 1, PROCESSING: 2, ANCHORED: 3, FAILED: 4, REPLACED: 5 } as const

export interface LogEntry {
  cid: CID
  type: EventTypeCode
  /** Anchor time (unix seconds), back-filled onto the commits an anchor covers. */
  timestamp?: number
  /** The signing CACAO's `exp` (unix seconds), as Ceramic records it. */
  expirationTime?: number
}

export interface StreamMetadata {
  controllers: string[]
  family?: string
  schema?: string
  tags?: string[]
  model?: StreamID
  context?: StreamID
  unique?: string | Uint8Array
  shouldIndex?: boolean
  forbidControllerChange?: boolean
  /** The version this stream was forked from (a CommitID string), from its genesis header. */
  forkOf?: string
}

/** A stream's state after folding its log: what `load` returns. */
export interface StreamState {
  id: StreamID
  type: number
  content: unknown
  metadata: StreamMetadata
  signature: typeof SignatureStatus[keyof typeof SignatureStatus]
  anchorStatus: typeof AnchorStatus[keyof typeof AnchorStatus]
  anchorProof?: AnchorProof
  log: LogEntry[]
}

export function tipOf (state: StreamState): CID {
  return state.log[state.log.length - 1].cid
}

/** The controller whose key (or delegate) must sign the next commit. */
export function controllerOf (state: StreamState): string {
  return state.metadata.controllers[0]
}
