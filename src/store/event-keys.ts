/**
 * Which EventId a stream's commits get in Kiln (the Recon keys, ids/event-id.ts): a Model
 * instance's separator is 'model' and its Model's StreamID bytes, any other stream's is
 * 'controller' and its controller DID, so one Model's keys (or one controller's other streams')
 * are contiguous. The controller is the genesis's, as in Ceramic: a tile whose controller changes
 * keeps its keys, so two peers that got it before and after the change still agree on them. A store that keeps these keys as commits land (Store.listEventKeys) and the Recon
 * index that reads them agree through this one function.
 */
import { base32 } from 'multiformats/bases/base32'
import { CID } from 'multiformats/cid'
import { concat } from 'uint8arrays'
import { storedGenesisController } from '../commits/decode.js'
import { InvalidIdError } from '../errors.js'
import { eventIdStreamPart } from '../ids/event-id.js'
import { StreamID } from '../ids/stream-id.js'
import { StreamType } from '../ids/stream-type.js'
import type { StreamRecord } from './store.js'

export interface EventKeyFields {
  id: string
  controller: string
  initController?: string
  model?: string
}

const utf8 = new TextEncoder()

/** The stream's part of each of its EventIds: all but the network header and the event CID. */
export function streamEventIdPart (stream: EventKeyFields): Uint8Array {
  const controller = stream.initController ?? stream.controller
  return eventIdStreamPart({
    sepKey: stream.model != null ? 'model' : 'controller',
    sepValue: stream.model != null ? StreamID.fromString(stream.model).bytes : utf8.encode(controller),
    controller,
    initCid: StreamID.fromString(stream.id).cid
  })
}

/**
 * As `streamEventIdPart`, or undefined for a record whose id (or Model) is not a StreamID: no
 * EventId names its commits, so a store keeps no key for them (the node never writes such a record;
 * a store's own tests do).
 */
export function eventIdPartOf (stream: EventKeyFields): Uint8Array | undefined {
  try {
    return streamEventIdPart(stream)
  } catch (err) {
    if (err instanceof InvalidIdError) return undefined
    throw err
  }
}

/** A commit CID's bytes from its text (a CIDv1's base32 text decodes straight, with no CID object). */
function cidBytes (cid: string): Uint8Array {
  return cid.startsWith(base32.prefix) ? base32.decode(cid) : CID.parse(cid).bytes
}

/** One commit's EventId without the network header: the stream's part, then the commit CID. */
export function eventKeyOf (streamPart: Uint8Array, cid: string): Uint8Array {
  return concat([streamPart, cidBytes(cid)])
}

/**
 * For a store's migration to records that keep `initController`: a tile record's genesis
 * controller where an update changed it (read from the store's own blocks), else undefined.
 */
export async function changedInitController (record: StreamRecord, getBlock: (cid: CID) => Promise<Uint8Array | undefined>): Promise<string | undefined> {
  if (record.type !== StreamType.TILE || record.initController != null) return undefined
  let genesis: CID
  try {
    genesis = StreamID.fromString(record.id).cid
  } catch (err) {
    if (err instanceof InvalidIdError) return undefined // a store's own tests write such ids
    throw err
  }
  const initController = await storedGenesisController(genesis, getBlock)
  return initController != null && initController !== record.controller ? initController : undefined
}
