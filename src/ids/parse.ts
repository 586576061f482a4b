import { CommitID } from './commit-id.js'
import { StreamID } from './stream-id.js'
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
