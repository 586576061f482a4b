/**
 * A field index written on a command line: `<modelId>:<field>[+<field>…]`, the fields by dotted
 * content path in the index's order (`kjzl…:author+published` orders by author, then published).
 * `kiln serve --index` and `kiln index` read it.
 */
import type { IndexDefinition } from '../api/types.js'
import { InvalidInputError } from '../errors.js'
import { parseModelId } from '../ids/index.js'

export const INDEX_SPEC_USAGE = '<modelId>:<field>[+<field>…]'

export function parseIndexSpec (spec: string): IndexDefinition {
  const colon = spec.indexOf(':')
  const fields = colon < 0 ? [] : spec.slice(colon + 1).split('+').map((f) => f.trim())
  if (colon < 0 || fields.some((f) => f === '')) {
    throw new InvalidInputError(`An index is ${INDEX_SPEC_USAGE}, such as kjzl…:author+published, not "${spec.slice(0, 200)}"`, { spec: spec.slice(0, 200) })
  }
  return { model: parseModelId(spec.slice(0, colon).trim()).toString(), fields }
}

/** Definitions grouped by Model, in the order given, as `indexModel(model, fields[])` takes them. */
export function indexesByModel (definitions: IndexDefinition[]): Map<string, string[][]> {
  const byModel = new Map<string, string[][]>()
  for (const { model, fields } of definitions) byModel.set(model, [...(byModel.get(model) ?? []), fields])
  return byModel
}
