import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import * as dagPb from '@ipld/dag-pb'
import { MemoryBlockstore } from 'blockstore-core'
import { CID } from 'multiformats/cid'
import { afterEach, describe, expect, it } from 'vitest'
import { createFileBlockstore } from '../../src/files/file-blockstore.js'
import { startFileNetwork } from '../../src/files/file-network.js'
import { fileUri } from '../../src/files/file-refs.js'
import { createFileStore } from '../../src/files/file-store.js'
import { DEFAULT_GC_GRACE_MS, DEFAULT_GC_INTERVAL_MS, DEFAULT_MAX_FILE_BYTES } from '../../src/files/constants.js'
import { serveOptions } from '../../src/server/serve-command.js'
import { startPeer, waitFor } from '../sync/peers.js'
import { serve, stop, tempDir } from './kiln-serve.js'

const exec = promisify(execFile)
const KILN = join(import.meta.dirname, '../../bin/kiln.js')

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })

function bytesOf (length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length)
  let x = seed
  for (let i = 0; i < length; i++) { x = (x * 1103515245 + 12345) >>> 0; out[i] = x >>> 24 }
  return out
}

describe('kiln serve: file limit, quota and garbage collection flags', () => {
  it('reads sizes and durations from flags, env and the config file, with defaults', () => {
    expect(serveOptions({}, {})).toMatchObject({ files: { maxFileBytes: DEFAULT_MAX_FILE_BYTES }, gc: { intervalMs: DEFAULT_GC_INTERVAL_MS, graceMs: DEFAULT_GC_GRACE_MS } })
    expect(serveOptions({}, {}).files.quotaBytes).toBeUndefined()
    expect(serveOptions({ 'file-limit': '20MB', 'file-quota': '1.5GiB', 'gc-interval': '15m', 'gc-grace': '2d' }, {})).toMatchObject({
      files: { maxFileBytes: 20_000_000, quotaBytes: 1.5 * 2 ** 30 },
      gc: { intervalMs: 15 * 60_000, graceMs: 2 * 86_400_000 }
    })
    expect(serveOptions({}, { KILN_FILE_LIMIT: '512', KILN_FILE_QUOTA: '2kib', KILN_GC_INTERVAL: '0', KILN_GC_GRACE: '90' })).toMatchObject({
      files: { maxFileBytes: 512, quotaBytes: 2048 },
      gc: { intervalMs: 0, graceMs: 90_000 }
    })
    const dir = tempDir()
    writeFileSync(join(dir, 'kiln.json'), JSON.stringify({ 'file-limit': '1MiB', 'gc-grace': '30s' }))
    // A flag wins over the environment, which wins over the file.
    expect(serveOptions({ config: join(dir, 'kiln.json'), 'file-limit': '3MB' }, { KILN_GC_GRACE: '1h' })).toMatchObject({ files: { maxFileBytes: 3_000_000 }, gc: { graceMs: 3_600_000 } })
    expect(serveOptions({ config: join(dir, 'kiln.json') }, {})).toMatchObject({ files: { maxFileBytes: 2 ** 20 }, gc: { graceMs: 30_000 } })
    for (const flags of [{ 'file-limit': '10 parsecs' }, { 'file-limit': '-5MB' }, { 'file-limit': '0' }, { 'file-quota': 'lots' }, { 'gc-interval': '1 week' }, { 'gc-grace': '-1s' }]) {
      expect(() => serveOptions(flags, {}), JSON.stringify(flags)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_INPUT', message: expect.stringContaining(`--${Object.keys(flags)[0]}`) }))
    }
  })

  it('a served peer keeps a document\'s file within --file-limit, not one past it; --gc-interval removes an unpinned file no document names', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'loose.bin'), bytesOf(200_000, 1))
    const { stdout } = await exec(process.execPath, [KILN, '--dir', dir, 'file', 'add', join(dir, 'loose.bin')], { env: { ...process.env, KILN_SEED: '' } })
    const loose = JSON.parse(stdout) as { cid: string }
    await exec(process.execPath, [KILN, '--dir', dir, 'file', 'unpin', loose.cid], { env: { ...process.env, KILN_SEED: '' } })

    const server = await serve(cleanups, dir, ['--file-limit', '1MB', '--gc-interval', '1s', '--gc-grace', '0'])
    const device = await startPeer('files-device', { signerName: 'alice', bootstrap: server.ready.multiaddrs, listen: false })
    cleanups.push(device.stop)
    await device.goOnline()
    const files = createFileStore({ blocks: createFileBlockstore({ store: new MemoryBlockstore() }) })
    const network = await startFileNetwork(device.libp2p, files.blocks)
    cleanups.push(network.stop)
    files.useNetwork(network.blockstore)

    const small = await files.add(bytesOf(600_000, 2))
    const large = await files.add(bytesOf(1_500_000, 3))
    await device.node.create({ content: { avatar: fileUri(small.cid), banner: fileUri(large.cid) } })
    const status = async (cid: string): Promise<number> => (await fetch(`${server.ready.http}/ipfs/${cid}?format=raw`)).status
    await waitFor(async () => await status(small.cid) === 200, 'the server to keep the small file')
    // The loose file goes at the next round; the large one was never fetched past its root (its size is known from it).
    await waitFor(async () => await status(loose.cid) === 404, 'garbage collection to remove the loose file')
    expect(await status(small.cid)).toBe(200)
    const [firstLeaf] = dagPb.decode(await files.blocks.getBlock(CID.parse(large.cid))).Links
    expect(await status(firstLeaf.Hash.toString())).toBe(404)
    expect(await stop(server)).toBe(0)
  }, 60_000)
})
