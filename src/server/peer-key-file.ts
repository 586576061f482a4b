import { readFile, writeFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { PrivateKey } from '@libp2p/interface'
import { createPeerKey, decodePeerKey, encodePeerKey } from '../sync/libp2p-config.js'

export const PEER_KEY_FILE = 'peer-key'

/**
 * The server peer's libp2p identity, kept in the data dir so its PeerId (and the multiaddrs other
 * peers bootstrap from) survive restarts. Created on first start, readable by the owner only.
 */
export async function loadOrCreatePeerKey (dir: string): Promise<{ key: PrivateKey, created: boolean }> {
  const path = join(dir, PEER_KEY_FILE)
  try {
    return { key: decodePeerKey(await readFile(path, 'utf8')), created: false }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  await mkdir(dir, { recursive: true })
  const key = await createPeerKey()
  try {
    // 'wx': two servers starting on one dir must not overwrite each other's key.
    await writeFile(path, encodePeerKey(key) + '\n', { mode: 0o600, flag: 'wx' })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { key: decodePeerKey(await readFile(path, 'utf8')), created: false }
    throw err
  }
  return { key, created: true }
}
