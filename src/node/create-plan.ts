import { StreamID, StreamType } from '../ids/index.js'
import { type GenesisPlan, modelGenesis, modelInstanceGenesis, tileGenesis } from '../commits/genesis.js'
import { InvalidInputError } from '../errors.js'
import type { ModelDefinition } from '../streams/model.js'
import type { CreateOptions } from '../api/types.js'

/** The genesis a `create` call asks for, by stream type. */
export function genesisPlan (type: number, options: CreateOptions, controller: string): GenesisPlan {
  switch (type) {
    case StreamType.TILE:
      return tileGenesis({ controller, content: options.content, deterministic: options.deterministic, family: options.family, tags: options.tags, schema: options.schema, forbidControllerChange: options.forbidControllerChange })
    case StreamType.MODEL:
      return modelGenesis(controller, options.content as ModelDefinition)
    case StreamType.MID: {
      if (options.model == null) throw new InvalidInputError('A ModelInstanceDocument needs `model`')
      const relation = options.unique != null ? 'set' : options.deterministic === true ? 'single' : 'list'
      return modelInstanceGenesis({ controller, model: StreamID.fromString(options.model), relation, content: relation === 'list' ? options.content : undefined, unique: options.unique })
    }
    default:
      throw new InvalidInputError(`Streams of type ${type} cannot be created`)
  }
}

/**
 * Whether a stream with this genesis may exist already: a deterministic genesis (unsigned, or a
 * Model's, which has no random `unique`) can be created twice. Others carry random bytes, so their
 * stream is new and needs no read first (in IndexedDB that read waits behind every pending write).
 */
export function genesisMayExist (plan: GenesisPlan, type: number): boolean {
  return !plan.signed || type === StreamType.MODEL
}
