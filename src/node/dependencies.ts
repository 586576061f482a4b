import { CommitID, StreamID, StreamType } from '../ids/index.js'
import type { RawCommit } from '../commits/decode.js'
import { BlockNotFoundError, StreamNotFoundError, hasCode } from '../errors.js'
import type { StreamState } from '../streams/state.js'
import type { ModelDefinition } from '../streams/model.js'
import type { ReducerContext } from '../streams/reducer.js'

/** Loads a stream's state (canonical, or at a CommitID) from wherever the node keeps it. */
export type StateLoader = (ref: StreamID | CommitID) => Promise<StreamState>

/** The schema and model streams a run of commits needs before a reducer can validate it. */
export function dependenciesOf (commits: RawCommit[], base?: StreamState): { models: StreamID[], schemas: string[] } {
  const models = new Map<string, StreamID>()
  const schemas = new Set<string>()
  if (base?.metadata.model != null && base.type === StreamType.MID) models.set(base.metadata.model.toString(), base.metadata.model)
  if (base?.metadata.schema != null) schemas.add(base.metadata.schema)
  for (const commit of commits) {
    if (commit.kind === 'time') continue
    const header = commit.payload.header as { model?: Uint8Array, schema?: string } | undefined
    if (commit.kind === 'genesis' && header?.model != null) {
      const model = StreamID.fromBytes(header.model)
      if (model.type === StreamType.MODEL) models.set(model.toString(), model)
    }
    if (typeof header?.schema === 'string') schemas.add(header.schema)
  }
  return { models: [...models.values()], schemas: [...schemas] }
}

/**
 * Resolves dependencies up front so the reducers stay synchronous and pure. A dependency this node
 * does not hold is absent: the reducer then refuses with MissingDependencyError (and sync fetches
 * it). Any other failure (a closed or damaged store) is not "missing" and is thrown as it is.
 */
export async function resolveDependencies (deps: { models: StreamID[], schemas: string[] }, load: StateLoader): Promise<Pick<ReducerContext, 'model' | 'schema'>> {
  const models = new Map<string, ModelDefinition>()
  const schemas = new Map<string, object>()
  await Promise.all([
    ...deps.models.map(async (id) => {
      const state = await load(id).catch(absentIfNotFound)
      if (state?.type === StreamType.MODEL) models.set(id.toString(), state.content as ModelDefinition)
    }),
    ...deps.schemas.map(async (ref) => {
      let commitId: CommitID
      try { commitId = CommitID.fromString(ref) } catch { return }
      const state = await load(commitId).catch(absentIfNotFound)
      if (state?.content != null && typeof state.content === 'object') schemas.set(ref, state.content)
    })
  ])
  return { model: (id) => models.get(id.toString()), schema: (ref) => schemas.get(ref) }
}

/** Not held here: the stream, or the commit a schema ref names. */
function absentIfNotFound (err: unknown): undefined {
  if (!hasCode(err, StreamNotFoundError) && !hasCode(err, BlockNotFoundError)) throw err
  return undefined
}
