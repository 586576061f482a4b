import { CarReader, CarWriter } from '@ipld/car'
import type { CID } from 'multiformats/cid'
import { InvalidCarError } from '../errors.js'
import { type Block, type BlockSource, assertBlockMatches } from './block.js'

/** Writes blocks into a CAR (v1) file whose root is the stream's tip. */
export async function encodeCar (root: CID, blocks: Iterable<Block>): Promise<Uint8Array> {
  const { writer, out } = CarWriter.create([root])
  const chunks: Uint8Array[] = []
  const collected = (async () => { for await (const chunk of out) chunks.push(chunk) })()
  const seen = new Set<string>()
  for (const block of blocks) {
    const key = block.cid.toString()
    if (seen.has(key)) continue
    seen.add(key)
    await writer.put(block)
  }
  await writer.close()
  await collected
  const car = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
  let offset = 0
  for (const chunk of chunks) { car.set(chunk, offset); offset += chunk.length }
  return car
}

export interface DecodedCar {
  root: CID
  blocks: Map<string, Block>
  /** Reads blocks from this CAR only: what it lacks is missing, never fetched elsewhere. */
  source: BlockSource
}

/** Reads a CAR file; every block is checked against its CID before anything uses it. */
export async function decodeCar (bytes: Uint8Array): Promise<DecodedCar> {
  let reader: CarReader
  try {
    reader = await CarReader.fromBytes(bytes)
  } catch (err) {
    throw new InvalidCarError(`Not a CAR file: ${(err as Error).message}`, undefined, { cause: err })
  }
  const roots = await reader.getRoots()
  if (roots.length !== 1) throw new InvalidCarError(`A stream CAR has one root, this one has ${roots.length}`)
  const blocks = new Map<string, Block>()
  for await (const { cid, bytes: data } of reader.blocks()) {
    try {
      await assertBlockMatches(cid as unknown as CID, data)
    } catch (err) {
      throw new InvalidCarError(`Block ${cid.toString()} in the CAR does not match its CID`, { cid: cid.toString() }, { cause: err })
    }
    blocks.set(cid.toString(), { cid: cid as unknown as CID, bytes: data })
  }
  return { root: roots[0] as unknown as CID, blocks, source: async (cid) => blocks.get(cid.toString())?.bytes }
}
