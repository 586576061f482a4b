import { applyPatch } from '../commits/data.js'
import { type GenesisPlan, type AccountRelation, modelInstanceGenesis, tileGenesis } from '../commits/genesis.js'
import { InvalidInputError } from '../errors.js'
import { StreamID, StreamType } from '../ids/index.js'
import type { ForkChanges, StreamSnapshot } from '../api/types.js'

/**
 * The genesis of a fork of `source` (a version of a stream, as loaded) by `controller`: a new
 * stream of the same kind, its content the source's with `changes` applied, and the source's
 * CommitID in its genesis header (`forkOf`). Only what the source's commits hold is needed: its
 * author is never asked. A Tile keeps its family, schema and tags; a Model document its Model and
 * context. Documents of single and set Models are not forked: their StreamID is fixed by account
 * (and set fields), so the forker's copy is their own document of it, written with `create`.
 */
export function forkPlan (source: StreamSnapshot, changes: ForkChanges, controller: string, relation?: AccountRelation): GenesisPlan {
  const content = forkContent(source.content, changes)
  const forkOf = source.commitId
  switch (source.type) {
    case StreamType.TILE:
      return tileGenesis({ controller, content, family: source.metadata.family, schema: source.metadata.schema, tags: source.metadata.tags, forkOf })
    case StreamType.MID: {
      if (relation !== 'list') {
        throw new InvalidInputError(`A document of a ${String(relation)} Model is not forked: create your own document of the Model (its StreamID follows from your account)`, { stream: source.id, relation })
      }
      const context = source.metadata.context == null ? undefined : StreamID.fromString(source.metadata.context)
      return modelInstanceGenesis({ controller, model: StreamID.fromString(source.metadata.model as string), relation, content, context, forkOf })
    }
    default:
      throw new InvalidInputError(`Streams of type ${source.typeName} cannot be forked (Tiles and Model documents can)`, { stream: source.id, type: source.type })
  }
}

function forkContent (content: unknown, changes: ForkChanges): unknown {
  if (changes.content !== undefined && changes.patch != null) throw new InvalidInputError('A fork changes the content either by `content` or by `patch`, not both')
  if (changes.content !== undefined) return changes.content
  if (changes.patch == null) return content
  try {
    return applyPatch(content, changes.patch)
  } catch (err) {
    throw new InvalidInputError(`The patch does not apply to the source's content: ${(err as Error).message}`, undefined, { cause: err })
  }
}
