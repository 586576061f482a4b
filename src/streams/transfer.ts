import type { CID } from 'multiformats/cid'
import type { Block, BlockSource } from '../commits/block.js'
import { decodeCar, encodeCar } from '../commits/car.js'
import { loadCommit } from '../commits/decode.js'
import { StreamID } from '../ids/index.js'
import { BlockNotFoundError, InvalidCarError, type KilnError, hasCode } from '../errors.js'
import { type LoadContext, inferStreamType, loadStream, readLog } from './load.js'
import { type StreamState, tipOf } from './state.js'

/** A stream's whole log as a CAR: every commit's envelope, payload, CACAO and proof blocks; root = tip. */
export async function exportStreamCar (state: StreamState, source: BlockSource): Promise<Uint8Array> {
  const blocks: Block[] = []
  for (const entry of state.log) blocks.push(...(await loadCommit(entry.cid, source)).blocks)
  return await encodeCar(tipOf(state), blocks)
}

export interface ImportedStream {
  state: StreamState
  tip: CID
  blocks: Block[]
}

/** Reads a stream CAR and verifies every commit in it; nothing from it is usable unless all of it is. */
export async function importStreamCar (bytes: Uint8Array, context: LoadContext = {}): Promise<ImportedStream> {
  const car = await decodeCar(bytes)
  return await asCarError(async () => {
    const streamId = await streamIdOfLog(car.root, car.source)
    const state = await loadStream(streamId, car.root, car.source, context)
    return { state, tip: car.root, blocks: [...car.blocks.values()] }
  })
}

/** The stream a log belongs to: walks `prev` from `tip` to the genesis (a CAR names no StreamID). */
export async function streamIdOfLog (tip: CID, source: BlockSource): Promise<StreamID> {
  const genesis = (await readLog(tip, source))[0]
  if (genesis.kind !== 'genesis') throw new InvalidCarError('The log does not start with a genesis')
  return StreamID.fromGenesis(inferStreamType(genesis.payload), genesis.cid)
}

/** Runs a CAR import; a block the CAR lacks becomes InvalidCarError (the CAR is incomplete). */
export async function asCarError<T> (work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (err) {
    if (hasCode(err, BlockNotFoundError)) {
      const missing = err as KilnError
      throw new InvalidCarError(`The CAR lacks a block the stream needs: ${missing.message}`, missing.details, { cause: err })
    }
    throw err
  }
}
