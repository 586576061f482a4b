/** The kit's Model StreamIDs, and the StreamIDs of its deterministic documents, from DIDs alone. */
import { encodeCborBlock } from '../commits/block.js'
import { modelInstanceGenesis } from '../commits/genesis.js'
import { StreamID, StreamType } from '../ids/index.js'
import type { KitModelName } from './definitions.js'
import { PUBLISHED } from './published.js'

/** The kit's Model StreamIDs. */
export const KIT: Record<KitModelName, string> = Object.fromEntries(Object.entries(PUBLISHED).map(([name, { id }]) => [name, id])) as Record<KitModelName, string>

export async function deterministicId (model: string, controller: string, unique?: string[]): Promise<string> {
  const plan = modelInstanceGenesis({ controller, model: StreamID.fromString(model), relation: unique == null ? 'single' : 'set', unique })
  return StreamID.fromGenesis(StreamType.MID, (await encodeCborBlock(plan.payload)).cid).toString()
}

/** An account's profile's StreamID, from its DID alone: load it, no query. */
export async function profileId (account: string): Promise<string> {
  return await deterministicId(KIT.profile, account)
}

/** The StreamID of `follower`'s Follow of `followed` (one per pair). */
export async function followId (follower: string, followed: string): Promise<string> {
  return await deterministicId(KIT.follow, follower, [followed])
}
