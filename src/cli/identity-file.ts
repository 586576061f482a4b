import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { toString as bytesToString, fromString as bytesFromString } from 'uint8arrays'
import { createDidKeySigner, type Signer } from '../identity/signer.js'
import { InvalidInputError } from '../errors.js'

export const IDENTITY_FILE = 'identity.json'

/** A did:key for servers, scripts and the CLI: from KILN_SEED (64 hex chars), else the data dir. */
export async function loadIdentity (dir: string, env: NodeJS.ProcessEnv = process.env): Promise<Signer | undefined> {
  if (env.KILN_SEED != null && env.KILN_SEED !== '') return await createDidKeySigner(parseSeed(env.KILN_SEED, 'KILN_SEED'))
  let text: string
  try {
    text = await readFile(join(dir, IDENTITY_FILE), 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  const { seed } = JSON.parse(text) as { seed: string }
  return await createDidKeySigner(parseSeed(seed, join(dir, IDENTITY_FILE)))
}

/** Creates the data dir and a new did:key seed, readable by the owner only. Keeps an existing one. */
export async function initIdentity (dir: string): Promise<{ did: string, created: boolean }> {
  await mkdir(dir, { recursive: true })
  const existing = await loadIdentity(dir, {})
  if (existing != null) return { did: existing.id, created: false }
  const seed = randomBytes(32)
  const signer = await createDidKeySigner(seed)
  await writeFile(join(dir, IDENTITY_FILE), JSON.stringify({ did: signer.id, seed: bytesToString(seed, 'base16') }, null, 2) + '\n', { mode: 0o600, flag: 'wx' })
  return { did: signer.id, created: true }
}

function parseSeed (hex: string, where: string): Uint8Array {
  if (!/^[0-9a-fA-F]{64}$/.test(hex.trim())) throw new InvalidInputError(`${where} must hold a 32-byte seed as 64 hex characters`)
  return bytesFromString(hex.trim().toLowerCase(), 'base16')
}
