import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { createDiskStore } from '../../src/store/disk-store.js'
import { crashProblems, parseWriterOutput, type CrashAck } from '../fixtures/disk-crash-writer.js'

/*
 * Durability under test: the disk store writes with LevelDB's default `sync: false`. An acknowledged
 * putCommit has been appended to LevelDB's log with write(2), so it is in the OS page cache and
 * survives the death of the process (this test), but not a power cut; `createDiskStore({ sync: true })`
 * fsyncs each batch for that. LevelDB's log records are checksummed batches, so a kill in the middle
 * of a write leaves either the whole batch or none of it.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const WRITER = fileURLToPath(new URL('../fixtures/disk-crash-writer.ts', import.meta.url))
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-disk-crash-'))
afterAll(() => { fs.rmSync(dir, { recursive: true, force: true }) })

/** Starts the writer on `db`; `acked(n)` resolves once it has acknowledged n commits. */
function startWriter (db: string): { acked: (n: number) => Promise<CrashAck[]>, kill: () => Promise<CrashAck[]> } {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, db], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  const waiting: Array<{ n: number, resolve: () => void }> = []
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
    const lines = stdout.split('\n').length - 1
    for (const w of waiting.filter((w) => lines >= w.n)) w.resolve()
  })
  const closed = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => { resolve(signal) }))
  const acks = (): CrashAck[] => parseWriterOutput(stdout).acks
  return {
    acked: async (n) => {
      await Promise.race([
        new Promise<void>((resolve) => waiting.push({ n, resolve })),
        closed.then(() => { throw new Error(`writer ended early: ${stderr}`) })
      ])
      return acks()
    },
    // SIGKILL while 8 writers are busy: it lands in the middle of some batch.
    kill: async () => { child.kill('SIGKILL'); expect(await closed).toBe('SIGKILL'); return acks() }
  }
}

describe('disk store crash safety', () => {
  it('a SIGKILLed writer loses no acknowledged commit and never leaves half a batch', async () => {
    const db = path.join(dir, 'store')
    const acked: CrashAck[] = []
    // Three crashes in a row: each writer continues from what the previous one left behind.
    for (let round = 0; round < 3; round++) {
      const writer = startWriter(db)
      await writer.acked(150)
      const acks = await writer.kill()
      expect(acks.length).toBeGreaterThanOrEqual(150)
      acked.push(...acks)
      // Opens cleanly: the OS released the dead process's LOCK, and LevelDB replays its log.
      const store = await createDiskStore({ path: db })
      expect(await crashProblems(store, acked)).toEqual([])
      expect((await store.stats()).commits).toBeGreaterThanOrEqual(acked.length)
      await store.close()
    }
  })

  it('a store open in another process is refused as locked, and opens once that process is gone', async () => {
    const db = path.join(dir, 'locked')
    const writer = startWriter(db)
    await writer.acked(1)
    await expect(createDiskStore({ path: db })).rejects.toMatchObject({ code: 'ERR_STORE_LOCKED' })
    const acks = await writer.kill()
    const store = await createDiskStore({ path: db })
    expect(await crashProblems(store, acks)).toEqual([])
    await store.close()
  })
})
