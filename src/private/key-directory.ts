/**
 * An account's key directory: the public X25519 keys of its devices, in a Tile the account
 * controls. Its genesis is deterministic (controller + family, unsigned, no content), so anyone
 * finds it from the DID alone; every later version is signed by the account, so a server can
 * withhold it but not forge it.
 */
import { encodeCborBlock } from '../commits/block.js'
import { tileGenesis } from '../commits/genesis.js'
import { StreamID, StreamType } from '../ids/index.js'

/** The family of every key directory Tile. */
export const KEY_DIRECTORY_FAMILY = 'kiln:encryption-keys'

/** A directory's content: one entry per device. */
export interface KeyDirectory {
  devices: DeviceKeyEntry[]
}

export interface DeviceKeyEntry {
  /** The device's X25519 public key as a did:key (`did:key:z6LS…`). */
  key: string
  /** When the device added it (ms since the epoch). */
  added: number
}

/** The genesis options of `account`'s directory, as `create` takes them. */
export const keyDirectoryCreate = { deterministic: true, family: KEY_DIRECTORY_FAMILY } as const

/** The StreamID of `account`'s key directory. */
export async function keyDirectoryId (account: string): Promise<string> {
  const plan = tileGenesis({ controller: account, ...keyDirectoryCreate })
  return StreamID.fromGenesis(StreamType.TILE, (await encodeCborBlock(plan.payload)).cid).toString()
}

/** The device keys a directory's content lists; entries of any other shape are skipped. */
export function deviceKeysOf (content: unknown): string[] {
  const devices = (content as Partial<KeyDirectory> | null)?.devices
  if (!Array.isArray(devices)) return []
  return devices.map((d: Partial<DeviceKeyEntry> | null) => d?.key).filter((key): key is string => typeof key === 'string' && key.startsWith('did:key:z6LS'))
}

/** The directory's content with `key` added; undefined when it lists `key` already. */
export function withDeviceKey (content: unknown, key: string, now = Date.now()): KeyDirectory | undefined {
  if (deviceKeysOf(content).includes(key)) return undefined
  const devices = Array.isArray((content as Partial<KeyDirectory> | null)?.devices) ? (content as KeyDirectory).devices : []
  return { devices: [...devices, { key, added: now }] }
}
