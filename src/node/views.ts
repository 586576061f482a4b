import type { StreamQuery, StreamSnapshot } from '../api/types.js'

/**
 * ComposeDB's views of a Model, answered when one of its documents is loaded or queried: values
 * that are not in the document but follow from it and from the indexes (its account, its version,
 * the documents that point at it and how many). A Model's definition never changes, so each
 * Model's views are read once.
 */
export interface ViewsInit {
  /** A Model's `views` (undefined when the Model is not held or has none). */
  viewsOf: (model: string) => Promise<Record<string, unknown> | undefined>
  query: (query: StreamQuery, limit: number) => Promise<string[]>
  count: (query: StreamQuery) => Promise<number>
}

/** `relationFrom` lists at most this many documents (oldest first); a query pages the rest. */
export const RELATION_FROM_LIMIT = 100

interface View { type?: unknown, model?: unknown, property?: unknown }

export function createViews ({ viewsOf, query, count }: ViewsInit): (snapshot: StreamSnapshot) => Promise<StreamSnapshot> {
  const known = new Map<string, Promise<Record<string, unknown> | undefined>>()
  const cachedViewsOf = async (model: string): Promise<Record<string, unknown> | undefined> => {
    let views = known.get(model)
    if (views == null) {
      views = viewsOf(model)
      views.catch(() => { known.delete(model) }) // not held yet: asked again next time
      known.set(model, views)
    }
    return await views
  }

  return async (snapshot) => {
    const model = snapshot.metadata.model
    if (model == null || snapshot.typeName !== 'MID') return snapshot
    const views = await cachedViewsOf(model).catch(() => undefined)
    if (views == null || Object.keys(views).length === 0) return snapshot
    const answered: Record<string, unknown> = {}
    for (const [name, view] of Object.entries(views) as Array<[string, View]>) {
      const value = await answer(view, snapshot)
      if (value !== undefined) answered[name] = value
    }
    return { ...snapshot, views: answered }
  }

  async function answer (view: View, snapshot: StreamSnapshot): Promise<unknown> {
    const property = typeof view.property === 'string' ? view.property : undefined
    const from = typeof view.model === 'string' ? view.model : undefined
    switch (view.type) {
      case 'documentAccount': return snapshot.metadata.controllers[0]
      case 'documentVersion': return snapshot.commitId
      // The StreamID a relation field of this document holds.
      case 'relationDocument': return property == null ? undefined : (snapshot.content as Record<string, unknown> | null)?.[property] ?? null
      case 'relationFrom':
      case 'relationSetFrom':
        return from == null || property == null ? undefined : await query({ model: from, where: { [property]: snapshot.id } }, RELATION_FROM_LIMIT)
      case 'relationCountFrom':
        return from == null || property == null ? undefined : await count({ model: from, where: { [property]: snapshot.id } })
      default: return undefined
    }
  }
}
