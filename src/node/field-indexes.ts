import type { IndexDefinition, IndexStatus, IndexValue, StreamQuery } from '../api/types.js'
import { InvalidInputError } from '../errors.js'
import type { Logger } from '../logger.js'
import { CONTROLLER_PATH, type IndexedFields, indexName, sameIndex, usesFields } from '../store/field-index.js'
import type { Store, StreamRecord } from '../store/store.js'
import type { StreamState } from '../streams/state.js'

/**
 * The node's side of field indexes: which content paths a Model's documents keep in their record,
 * declaring indexes (and every relation field's, without being asked), and indexing the documents
 * held before a declaration in the background. The stores keep the entries (store/field-index.ts).
 */
export interface FieldIndexes {
  /** The indexed values of a Model document's state: what its record's `fields` hold. */
  fieldsOf: (model: string, state: StreamState) => Promise<IndexedFields>
  declare: (model: string, indexes: string[][]) => Promise<IndexStatus[]>
  statuses: (model?: string) => Promise<IndexStatus[]>
  /** Resolves once every index the query's Model has is built (at once if none is building). */
  ready: (query: StreamQuery) => Promise<void>
}

export interface FieldIndexesInit {
  store: Store
  /** A Model's relation fields (`relations` of its definition), or none if the Model is not held. */
  relationFields: (model: string) => Promise<string[]>
  stateOf: (record: StreamRecord) => Promise<StreamState>
  log: Logger
}

/** Documents indexed per store call while building. */
const BUILD_PAGE = 200
/** Paths are dotted property names; a path this long is a mistake, not a field. */
const MAX_PATH_LENGTH = 256
const MAX_FIELDS_PER_INDEX = 8
/** A document that keeps moving while it is indexed is read again at most this often. */
const MAX_RETRIES = 5

export function createFieldIndexes ({ store, relationFields, stateOf, log }: FieldIndexesInit): FieldIndexes {
  let declared: IndexDefinition[] = []
  const building = new Map<string, { promise: Promise<void>, built: number, total: number }>()
  // Models whose relation indexes were declared (or found declared) in this run.
  const relationsChecked = new Map<string, Promise<string[]>>()
  const keyOf = (d: IndexDefinition): string => `${d.model} ${indexName(d.fields)}`

  // Indexes left building by a previous run resume on first use.
  const started = (async () => {
    const stored = await store.indexes()
    declared = stored.map(({ model, fields }) => ({ model, fields }))
    for (const index of stored) if (!index.ready) startBuild(index)
  })()
  started.catch(() => {}) // awaited by every call; a failure surfaces there

  function pathsOf (model: string): string[] {
    return [...new Set(declared.filter((d) => d.model === model).flatMap((d) => d.fields))]
  }

  async function add (definition: IndexDefinition): Promise<void> {
    if (declared.some((d) => sameIndex(d, definition))) return
    declared = [...declared, definition]
    await store.declareIndex(definition)
    startBuild(definition)
  }

  async function relationsOf (model: string): Promise<string[]> {
    let checked = relationsChecked.get(model)
    if (checked == null) {
      checked = (async () => {
        await started
        const fields = await relationFields(model)
        for (const field of fields) await add({ model, fields: [field] })
        return fields
      })()
      // A Model not held yet is asked again next time.
      checked.catch(() => { relationsChecked.delete(model) })
      relationsChecked.set(model, checked)
    }
    return await checked
  }

  function startBuild (definition: IndexDefinition): void {
    const entry = { built: 0, total: 0, promise: Promise.resolve() }
    entry.promise = build(definition, entry).then(
      () => { building.delete(keyOf(definition)) },
      (err: unknown) => {
        // The declaration stays (not ready): the next start of the node builds it again.
        building.delete(keyOf(definition))
        log.error('building index %s of %s failed: %s', indexName(definition.fields), definition.model, (err as Error).message)
      })
    building.set(keyOf(definition), entry)
  }

  async function build (definition: IndexDefinition, progress: { built: number, total: number }): Promise<void> {
    const model = definition.model
    progress.total = await store.count({ model })
    let cursor: string | undefined
    do {
      const page = await store.query({ model }, { limit: BUILD_PAGE, cursor })
      let pending = page.items
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > MAX_RETRIES) throw new Error(`${pending.length} documents kept changing while they were indexed`)
        const items = await Promise.all(pending.map(async (record) => ({ id: record.id, tip: record.tip, fields: extract(await stateOf(record), pathsOf(model)) })))
        const moved = new Set(await store.reindex(items))
        // A document that moved on is read again at its new tip.
        pending = (await Promise.all([...moved].map(async (id) => await store.getStream(id)))).filter((r) => r != null)
      }
      progress.built += page.items.length
      cursor = page.cursor
    } while (cursor != null)
    await store.setIndexReady(definition)
  }

  return {
    async fieldsOf (model, state) {
      await relationsOf(model)
      return extract(state, pathsOf(model))
    },

    async declare (model, indexes) {
      if (!Array.isArray(indexes) || indexes.length === 0) throw new InvalidInputError('indexModel needs a list of indexes, each a list of field paths')
      for (const fields of indexes) assertFields(fields)
      // A Model not held yet (about to be synced) can be indexed ahead; its relations follow with it.
      await relationsOf(model).catch(() => [])
      for (const fields of indexes) await add({ model, fields: [...fields] })
      return await this.statuses(model)
    },

    async statuses (model) {
      await started
      if (model != null) await relationsOf(model).catch(() => [])
      const relationPaths = new Map<string, string[]>()
      for (const [m, fields] of relationsChecked) relationPaths.set(m, await fields.catch(() => []))
      return declared.filter((d) => model == null || d.model === model).map((d) => {
        const status: IndexStatus = { model: d.model, fields: [...d.fields], state: building.has(keyOf(d)) ? 'building' : 'ready' }
        if (d.fields.length === 1 && relationPaths.get(d.model)?.includes(d.fields[0]) === true) status.relation = true
        const progress = building.get(keyOf(d))
        if (progress != null) Object.assign(status, { built: progress.built, total: progress.total })
        return status
      })
    },

    async ready (query) {
      if (!usesFields(query) || query.model == null) return
      await relationsOf(query.model).catch(() => [])
      const model = query.model
      await Promise.all([...building.entries()].filter(([key]) => key.startsWith(`${model} `)).map(async ([, b]) => { await b.promise }))
    }
  }
}

function assertFields (fields: unknown): asserts fields is string[] {
  if (!Array.isArray(fields) || fields.length === 0 || fields.length > MAX_FIELDS_PER_INDEX) {
    throw new InvalidInputError(`An index is a list of 1 to ${MAX_FIELDS_PER_INDEX} field paths`, { fields })
  }
  for (const path of fields) {
    if (typeof path !== 'string' || path === '' || path.length > MAX_PATH_LENGTH || path.split('.').some((part) => part === '')) {
      throw new InvalidInputError(`Not a field path: ${JSON.stringify(path)} (dotted property names, such as author or meta.lang)`, { path })
    }
  }
  if (new Set(fields).size !== fields.length) throw new InvalidInputError('An index names each field once', { fields })
}

const isScalar = (value: unknown): value is IndexValue =>
  value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))

/** The values at `paths` of a state's content; objects are not values, arrays hold their scalars. */
function extract (state: StreamState, paths: string[]): IndexedFields {
  const fields: IndexedFields = {}
  for (const path of paths) {
    const value = path === CONTROLLER_PATH ? state.metadata.controllers[0] : valueAt(state.content, path)
    if (isScalar(value)) fields[path] = value
    else if (Array.isArray(value)) fields[path] = value.filter(isScalar)
  }
  return fields
}

function valueAt (content: unknown, path: string): unknown {
  let value = content
  for (const part of path.split('.')) {
    if (value == null || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, part)) return undefined
    value = (value as Record<string, unknown>)[part]
  }
  return value
}
