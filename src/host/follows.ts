/**
 * What a browser node follows beyond its own accounts' streams, kept in the origin's settings
 * (IndexedDB) so a follow outlives reloads and restarts.
 */
import type { Follow } from '../api/types.js'
import { InvalidInputError } from '../errors.js'
import { openIdentityDb } from '../identity/identity-db.js'
import { StreamID, StreamType } from '../ids/index.js'

export interface Follows {
  list: () => Follow[]
  /** Adds it (once); false if it was followed already. */
  add: (follow: Follow) => Promise<boolean>
  remove: (follow: Follow) => Promise<void>
}

const settingsKey = (nodeName: string): string => `follows:${nodeName}`
const sameFollow = (a: Follow, b: Follow): boolean => a.model === b.model && a.controller === b.controller

/** A Model's StreamID and, if given, a DID: anything else is refused before it is kept. */
export function parseFollow (follow: Follow): Follow {
  let model: StreamID
  try {
    model = StreamID.fromString(String(follow?.model))
  } catch (err) {
    throw new InvalidInputError('A follow needs the StreamID of a Model', { model: follow?.model }, { cause: err })
  }
  if (model.type !== StreamType.MODEL) throw new InvalidInputError('A follow names a Model, not another kind of stream', { model: follow.model })
  if (follow.controller != null && (typeof follow.controller !== 'string' || !follow.controller.startsWith('did:'))) {
    throw new InvalidInputError('A follow\'s controller is a DID', { controller: follow.controller })
  }
  return follow.controller == null ? { model: model.toString() } : { model: model.toString(), controller: follow.controller }
}

export async function loadFollows (nodeName: string): Promise<Follows> {
  const key = settingsKey(nodeName)
  const read = async (): Promise<Follow[]> => {
    const db = await openIdentityDb()
    try {
      const stored = await db.get('settings', key)
      return stored == null ? [] : JSON.parse(stored) as Follow[]
    } finally {
      db.close()
    }
  }
  let follows = await read()
  const save = async (next: Follow[]): Promise<void> => {
    const db = await openIdentityDb()
    try {
      await db.put('settings', JSON.stringify(next), key)
    } finally {
      db.close()
    }
    follows = next
  }
  // Changes run one after another: two follows made at once (a page's hooks) would each save the
  // list as it was before the other, and one would be lost.
  let queue: Promise<unknown> = Promise.resolve()
  const serially = async <T>(change: () => Promise<T>): Promise<T> => {
    const done = queue.then(change)
    queue = done.catch(() => {})
    return await done
  }
  return {
    list: () => [...follows],
    add: async (follow) => await serially(async () => {
      if (follows.some((f) => sameFollow(f, follow))) return false
      await save([...follows, follow])
      return true
    }),
    remove: async (follow) => {
      await serially(async () => {
        if (follows.some((f) => sameFollow(f, follow))) await save(follows.filter((f) => !sameFollow(f, follow)))
      })
    }
  }
}
