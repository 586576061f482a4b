import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Level } from 'level'
import { afterAll, describe, expect, it } from 'vitest'
import { prepareDiskSchema, SUBLEVELS } from '../../src/store/disk-schema.js'
import { createDiskStore, DISK_SCHEMA_VERSION } from '../../src/store/disk-store.js'
import type { StreamQuery } from '../../src/store/store.js'
import { makeBatch, storeConformance } from '../conformance/store.js'
import { fieldIndexConformance } from '../conformance/field-index.js'
import { crashProblems, parseWriterOutput } from '../fixtures/disk-crash-writer.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const WRITER = fileURLToPath(new URL('../fixtures/disk-crash-writer.ts', import.meta.url))
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-disk-'))
afterAll(() => { fs.rmSync(root, { recursive: true, force: true }) })
let count = 0
const fresh = (): string => path.join(root, `t${count++}`)

const disk = { open: async (name: string) => await createDiskStore({ path: path.join(root, name) }), persistent: true }
storeConformance('disk', disk)
fieldIndexConformance('disk', disk)

/** Opens the LevelDB under a (closed) store directly, to write what Kiln itself never would. */
async function raw (dir: string, edit: (db: Level) => Promise<void>): Promise<void> {
  const db = new Level(dir)
  await db.open()
  try { await edit(db) } finally { await db.close() }
}

describe('disk store', () => {
  it('refuses a store written by a newer schema version, and leaves it unlocked', async () => {
    const dir = fresh()
    await (await createDiskStore({ path: dir })).close()
    await raw(dir, async (db) => { await db.sublevel(SUBLEVELS.meta).put('schemaVersion', String(DISK_SCHEMA_VERSION + 1)) })
    await expect(createDiskStore({ path: dir })).rejects.toMatchObject({
      code: 'ERR_STORE_VERSION',
      message: expect.stringContaining(`schema version ${DISK_SCHEMA_VERSION + 1}, but this Kiln reads versions up to ${DISK_SCHEMA_VERSION}`)
    })
    await raw(dir, async () => {}) // the refused open released LevelDB's lock
  })

  it('upgrades an older store one migration step at a time, recording each step', async () => {
    const dir = fresh()
    await raw(dir, async (db) => { await db.sublevel(SUBLEVELS.meta).put('schemaVersion', '0') })
    const ran: number[] = []
    await raw(dir, async (db) => {
      await expect(prepareDiskSchema(db, {
        version: 3,
        migrations: { 1: async () => { ran.push(1) }, 2: async () => { ran.push(2) }, 3: async () => { throw new Error('step 3 fails') } }
      })).rejects.toThrow('step 3 fails')
      expect(await db.sublevel(SUBLEVELS.meta).get('schemaVersion')).toBe('2')
      await prepareDiskSchema(db, { version: 3, migrations: { 3: async () => { ran.push(3) } } }) // resumes at 3
      expect(await db.sublevel(SUBLEVELS.meta).get('schemaVersion')).toBe('3')
    })
    expect(ran).toEqual([1, 2, 3])
  })

  it('refuses an older store it has no migration for, and a LevelDB that is not a Kiln store', async () => {
    const old = fresh()
    await raw(old, async (db) => { await db.sublevel(SUBLEVELS.meta).put('schemaVersion', '0') })
    await expect(createDiskStore({ path: old })).rejects.toMatchObject({ code: 'ERR_STORE_VERSION', message: expect.stringContaining('no migration from version 0 to 1') })
    const foreign = fresh()
    await raw(foreign, async (db) => { await db.put('someone', 'else') })
    await expect(createDiskStore({ path: foreign })).rejects.toMatchObject({ code: 'ERR_STORE_VERSION' })
  })

  it('a damaged stream record is reported as corrupt, and other streams still read', async () => {
    const dir = fresh()
    const store = await createDiskStore({ path: dir })
    const good = await makeBatch({ id: 'good', n: 0, expectedTip: null })
    await store.putCommit(good)
    await store.putCommit(await makeBatch({ id: 'bad', n: 1, expectedTip: null }))
    await store.close()
    await raw(dir, async (db) => { await db.sublevel(SUBLEVELS.streams).put('bad', '{"id":"bad","ti') })
    const reopened = await createDiskStore({ path: dir })
    await expect(reopened.getStream('bad')).rejects.toMatchObject({ code: 'ERR_STORE_CORRUPT', details: { what: 'stream record bad' } })
    expect((await reopened.getStream('good'))?.tip).toBe(good.commit.cid)
    expect(await reopened.getState('good', good.commit.cid)).toEqual(good.state)
    // A page that would hold the damaged record fails loudly rather than skipping it.
    await expect(reopened.query({})).rejects.toMatchObject({ code: 'ERR_STORE_CORRUPT' })
    await reopened.close()
  })

  it('with sync: true, each batch is fsynced and reads back after reopen', async () => {
    const dir = fresh()
    const store = await createDiskStore({ path: dir, sync: true })
    const batch = await makeBatch({ id: 'synced', n: 0, expectedTip: null })
    await store.putCommit(batch)
    await store.setPinned('synced', true)
    await store.close()
    const reopened = await createDiskStore({ path: dir })
    expect(await reopened.getStream('synced')).toMatchObject({ tip: batch.commit.cid, pinned: true })
    expect(await reopened.stats()).toEqual({ streams: 1, commits: 1, blocks: 1 })
    await reopened.close()
  })

  it('10,000 streams: stats is a counter read and a field query reads only its index', async () => {
    const store = await createDiskStore({ path: fresh() })
    const base = Date.now()
    const batches = await Promise.all(Array.from({ length: 10_000 }, async (_, i) => await makeBatch({
      id: `m${i}`, n: i, expectedTip: null, createdAt: base + i, fields: { model: i % 1000 === 0 ? 'krare' : 'kcommon' }
    })))
    await Promise.all(batches.map(async (b) => { await store.putCommit(b) }))
    let started = performance.now()
    expect(await store.stats()).toEqual({ streams: 10_000, commits: 10_000, blocks: 10_000 })
    expect(performance.now() - started).toBeLessThan(50)
    const time = async (query: StreamQuery): Promise<[string[], number]> => {
      started = performance.now()
      const ids = (await store.query(query)).items.map((r) => r.id)
      return [ids, performance.now() - started]
    }
    await time({ model: 'krare' }) // warm the cache
    // Served from the model index: 10 entries read. Given only a controller shared by every stream
    // and a schema none has, the store has to walk all 10,000 controller entries (about 100 ms here).
    const [rare, rareMs] = await time({ model: 'krare' })
    const [none, walkMs] = await time({ controller: 'did:key:alice', schema: 'kschema-none' })
    expect(rare).toEqual(Array.from({ length: 10 }, (_, k) => `m${k * 1000}`))
    expect(none).toEqual([])
    expect(rareMs * 5).toBeLessThan(walkMs)
    await store.close()
  })
})

/** Runs the writer fixture through `bash -c <script>` ($1 = the store dir, $2 = a scratch dir). */
async function runWriter (script: string, args: string[]): Promise<{ stdout: string, stderr: string, code: number | null }> {
  const child = spawn('bash', ['-c', script, 'bash', ...args], { cwd: ROOT, env: { ...process.env, NODE: process.execPath, WRITER } })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  return { stdout, stderr, code }
}

// Unprivileged: a user + mount namespace can mount a small tmpfs (Linux with user namespaces).
const canMountTmpfs = process.platform === 'linux' &&
  spawnSync('unshare', ['-Urm', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs "$0"', root]).status === 0

describe.skipIf(process.platform === 'win32')('disk store on a full disk', () => {
  /*
   * A per-process file-size limit (RLIMIT_FSIZE, `ulimit -f`, in KiB) makes the kernel fail the
   * write that would grow LevelDB's log past it with EFBIG: a real write fault, no root needed.
   * The kernel also sends SIGXFSZ, which Node ignores (checked on Node 20), so the process lives
   * on and LevelDB reports "IO error: <log>: File too large". The store maps that to
   * ERR_STORE_FULL like ENOSPC: the store cannot grow, nothing of the write is stored.
   */
  it('a write past the file-size limit is refused as ERR_STORE_FULL; every acknowledged commit survives', async () => {
    const dir = fresh()
    const run = await runWriter('ulimit -f 256 && exec "$NODE" --import tsx "$WRITER" "$1" --until-error', [dir])
    expect(run.code, run.stderr).toBe(0)
    const { acks, events } = parseWriterOutput(run.stdout)
    expect(acks.length).toBeGreaterThan(10)
    expect(events[0]).toMatchObject({ error: 'ERR_STORE_FULL', cause: expect.stringContaining('File too large') })
    expect(events[1]).toEqual({ after: 'ERR_STORE_FULL' })
    const store = await createDiskStore({ path: dir }) // reopened here, without the limit
    expect(await crashProblems(store, acks)).toEqual([])
    await store.close()
  })

  /*
   * A real ENOSPC: the writer runs in a private mount namespace on a 1 MiB tmpfs that a 600 KB file
   * has mostly filled. After the first refused write the writer deletes that file and writes again:
   * the store must still refuse (it latches the fault until reopened), because LevelDB would append
   * after the torn log record and drop those writes on recovery. A second writer then reopens the
   * store with space free and writes on, and the directory is copied out for checking.
   */
  it.skipIf(!canMountTmpfs)('ENOSPC on a tmpfs: refused as ERR_STORE_FULL, latched until reopened, nothing acknowledged is lost', async () => {
    const out = fresh()
    const tmpfs = fresh()
    fs.mkdirSync(tmpfs)
    const run = await runWriter(`unshare -Urm bash -c '
      mount -t tmpfs -o size=1m tmpfs "$1" && head -c 600000 /dev/zero > "$1/filler" &&
      "$NODE" --import tsx "$WRITER" "$1/db" --until-error --free "$1/filler" &&
      { "$NODE" --import tsx "$WRITER" "$1/db" --max 20; cp -a "$1/db" "$2"; }' bash "$1" "$2"`, [tmpfs, out])
    const { acks, events } = parseWriterOutput(run.stdout)
    expect(events, run.stderr).toEqual([
      { error: 'ERR_STORE_FULL', message: expect.any(String), cause: expect.stringContaining('No space left on device') },
      { after: 'ERR_STORE_FULL' }
    ])
    expect(new Set(acks.map((a) => `${a.stream}:${a.n}`)).size).toBe(acks.length)
    const store = await createDiskStore({ path: out })
    expect(await crashProblems(store, acks)).toEqual([])
    await store.close()
  })
})
