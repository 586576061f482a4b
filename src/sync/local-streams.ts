import type { StreamNode } from '../node/stream-node.js'

/** Whether the node stores the stream. */
export async function holds (node: StreamNode, id: string): Promise<boolean> {
  try {
    await node.load(id)
    return true
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_STREAM_NOT_FOUND') return false
    throw err
  }
}
