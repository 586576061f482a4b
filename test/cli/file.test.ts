import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const exec = promisify(execFile)
const KILN = join(import.meta.dirname, '../../bin/kiln.js')

interface Result { code: number, stdout: Buffer, stderr: string }

async function kiln (dir: string, ...args: string[]): Promise<Result> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [KILN, '--dir', dir, ...args], { env: { ...process.env, KILN_SEED: '' }, encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 })
    return { code: 0, stdout, stderr: stderr.toString() }
  } catch (err) {
    const e = err as { code: number, stdout: Buffer, stderr: Buffer }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr.toString() }
  }
}

describe('kiln file', () => {
  it('add prints { cid, size }; get writes the same bytes to stdout or --out; a file not held is ERR_BLOCK_NOT_FOUND', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-file-'))
    const bytes = Buffer.alloc(1_500_000)
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 131) % 251
    writeFileSync(join(dir, 'in.bin'), bytes)

    const added = await kiln(dir, 'file', 'add', join(dir, 'in.bin'))
    expect(added.stderr).toBe('')
    const info = JSON.parse(added.stdout.toString())
    expect(info).toEqual({ cid: expect.stringMatching(/^bafy/), size: bytes.length })
    // The same file again: same CID, nothing new.
    expect(JSON.parse((await kiln(dir, 'file', 'add', join(dir, 'in.bin'))).stdout.toString())).toEqual(info)

    const piped = await kiln(dir, 'file', 'get', info.cid)
    expect(piped.code).toBe(0)
    expect(piped.stdout.equals(bytes)).toBe(true)

    const out = join(dir, 'out.bin')
    const written = await kiln(dir, 'file', 'get', info.cid, '--out', out)
    expect(JSON.parse(written.stdout.toString())).toEqual({ ...info, out })
    expect(readFileSync(out).equals(bytes)).toBe(true)

    const missing = await kiln(dir, 'file', 'get', 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', '--out', join(dir, 'none.bin'))
    expect(missing.code).toBe(1)
    expect(JSON.parse(missing.stderr).error.code).toBe('ERR_BLOCK_NOT_FOUND')
    expect(existsSync(join(dir, 'none.bin'))).toBe(false)

    const bad = await kiln(dir, 'file', 'add', join(dir, 'no-such-file'))
    expect(JSON.parse(bad.stderr).error.code).toBe('ERR_INVALID_INPUT')
  }, 60_000)

  it('gc removes the blocks of a file neither pinned nor named by a document once older than --gc-grace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-file-gc-'))
    expect((await kiln(dir, 'init')).code).toBe(0)
    const write = (name: string, seed: number): string => {
      const bytes = Buffer.alloc(300_000)
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * seed) % 251
      writeFileSync(join(dir, name), bytes)
      return join(dir, name)
    }
    const named = JSON.parse((await kiln(dir, 'file', 'add', write('named.bin', 7))).stdout.toString())
    const loose = JSON.parse((await kiln(dir, 'file', 'add', write('loose.bin', 11))).stdout.toString())
    // Pinned by `file add`: kept with no document naming it.
    expect((await kiln(dir, 'file', 'add', write('pinned.bin', 13))).code).toBe(0)
    expect(JSON.parse((await kiln(dir, 'file', 'unpin', named.cid)).stdout.toString())).toEqual({ cid: named.cid, unpinned: true })
    expect(JSON.parse((await kiln(dir, 'file', 'unpin', loose.cid)).stdout.toString())).toEqual({ cid: loose.cid, unpinned: true })
    expect((await kiln(dir, 'create', '--content', JSON.stringify({ avatar: `ipfs://${named.cid as string}` }))).code).toBe(0)

    // Within the default grace (an hour) nothing goes.
    const early = await kiln(dir, 'file', 'gc')
    expect(early.stderr).toBe('')
    expect(JSON.parse(early.stdout.toString())).toEqual({ removed: 0, kept: 3, bytesFreed: 0 })

    const done = await kiln(dir, 'file', 'gc', '--gc-grace', '0')
    expect(JSON.parse(done.stdout.toString())).toEqual({ removed: 1, kept: 2, bytesFreed: 300_000 })
    expect((await kiln(dir, 'file', 'get', named.cid)).stdout.length).toBe(300_000)
    expect(JSON.parse((await kiln(dir, 'file', 'get', loose.cid)).stderr).error.code).toBe('ERR_BLOCK_NOT_FOUND')

    const bad = await kiln(dir, 'file', 'gc', '--gc-grace', 'soon')
    expect(bad.code).toBe(1)
    expect(JSON.parse(bad.stderr).error.code).toBe('ERR_INVALID_INPUT')
  }, 240_000)
})
