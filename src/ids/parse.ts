import { InvalidIdError } from '../errors.js'
import { CommitID } from './commit-id.js'
import { StreamID } from './stream-id.js'
import { StreamType } from './stream-type.js'
import { decodeStreamRef, parseStreamRefString } from './stream-ref-codec.js'

/**
 * Reads either kind of stream reference, telling them apart by what follows the genesis CID:
 * nothing → StreamID, 0x00 → CommitID at the genesis, a CID → CommitID at that commit
 * (js-ceramic's `StreamRef.from`). Strings may also carry '?commit=<cid>'.
 * @example parseStreamRef('k3y52l7qbv1fr…') // CommitID
 */
export function parseStreamRef (input: string | Uint8Array): StreamID | CommitID {
  const parts = typeof input === 'string'
    ? parseStreamRefString(input, 'stream reference')
    : decodeStreamRef(input, 'stream reference')
  return parts.commit === undefined
    ? new StreamID(parts.type, parts.genesis)
    : new CommitID(parts.type, parts.genesis, parts.commit)
}

/**
 * A Model's StreamID (a Model or an interface): what a MID names as its model. Another stream's
 * id is refused, since as a model it could only ever match nothing.
 * @example parseModelId('kjzl6hvfrbw6c…') // StreamID of type 2
 */
export function parseModelId (input: string): StreamID {
  const id = StreamID.fromString(input)
  if (id.type !== StreamType.MODEL) throw new InvalidIdError(`${id.toString()} is a ${id.typeName} stream, not a Model`, { id: id.toString() })
  return id
}
