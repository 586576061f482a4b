export { StreamType, streamTypeName, streamTypeCode } from './stream-type.js'
export type { StreamTypeCode, StreamTypeName } from './stream-type.js'
export { StreamID } from './stream-id.js'
export { CommitID } from './commit-id.js'
export { parseModelId, parseStreamRef } from './parse.js'
export { STREAMID_CODEC } from './stream-ref-codec.js'
export type { CIDLike } from './stream-ref-codec.js'
export {
  createEventId, decodeEventId, compareEventIds, eventIdRange, localNetwork,
  NETWORK, LOCAL_NETWORK_OFFSET, EVENT_ID_TYPE, EVENT_ID_MIN, EVENT_ID_MAX
} from './event-id.js'
export type { EventIdInit, EventIdRangeInit, DecodedEventId } from './event-id.js'
