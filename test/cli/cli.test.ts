import { describe, expect, it } from 'vitest'
import { execFile } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const exec = promisify(execFile)
const KILN = join(import.meta.dirname, '../../bin/kiln.js')

interface Result { code: number, stdout: string, stderr: string }

async function kiln (dir: string, ...args: string[]): Promise<Result> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [KILN, '--dir', dir, ...args], { env: { ...process.env, KILN_SEED: '' }, encoding: 'utf8' })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number, stdout: string, stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

async function ok (dir: string, ...args: string[]): Promise<any> {
  const result = await kiln(dir, ...args)
  expect(result.stderr, `kiln ${args.join(' ')}`).toBe('')
  expect(result.code).toBe(0)
  return JSON.parse(result.stdout)
}

const tempDir = (): string => mkdtempSync(join(tmpdir(), 'kiln-cli-'))

describe('kiln CLI', () => {
  it('round trip: create, update, export, import into a second data dir, show the same state', async () => {
    const a = tempDir()
    const b = tempDir()
    const identity = await ok(a, 'init')
    expect(identity.did).toMatch(/^did:key:z6Mk/)
    expect((await ok(a, 'init')).did).toBe(identity.did)
    const created = await ok(a, 'create', '--content', '{"title":"hello"}', '--family', 'notes', '--tags', 'x,y')
    expect(created.metadata).toMatchObject({ controllers: [identity.did], family: 'notes', tags: ['x', 'y'] })
    const updated = await ok(a, 'update', created.id, '--content', '{"title":"hello again"}')
    const patched = await ok(a, 'update', created.id, '--patch', '[{"op":"add","path":"/done","value":true}]')
    expect(patched.content).toEqual({ title: 'hello again', done: true })
    const car = join(a, 'note.car')
    expect((await ok(a, 'export', created.id, '--out', car)).bytes).toBeGreaterThan(0)
    await ok(b, 'init')
    const imported = await ok(b, 'import', car)
    const shownA = await ok(a, 'show', created.id)
    const shownB = await ok(b, 'show', created.id)
    expect(imported.id).toBe(created.id)
    expect(imported.imported).toEqual({ tips: [patched.tip], commits: 3 })
    expect(shownB).toEqual(shownA)
    expect(shownB.log.map((e: { cid: string }) => e.cid)).toEqual([created.tip, updated.tip, patched.tip])
    const past = await ok(b, 'show', updated.commitId)
    expect(past.content).toEqual({ title: 'hello again' })
    expect((await ok(b, 'history', created.id)).map((h: { commitId: string }) => h.commitId)).toEqual(shownA.log.map((e: { commitId: string }) => e.commitId))
    expect((await ok(b, 'query', '--family', 'notes')).items.map((s: { id: string }) => s.id)).toEqual([created.id])
  }, 60_000)

  it('errors go to stderr as JSON with a code, and the exit code is non-zero', async () => {
    const dir = tempDir()
    await ok(dir, 'init')
    const badJson = await kiln(dir, 'create', '--content', '{nope')
    expect(badJson.code).toBe(1)
    expect(JSON.parse(badJson.stderr).error.code).toBe('ERR_INVALID_INPUT')
    expect(badJson.stdout).toBe('')
    const missing = await kiln(dir, 'show', 'kjzl6cwe1jw147ww5d8pswh1hjh686mut8v1br10dar8l9a3n1wf8z38l0bg8qa')
    expect(missing.code).toBe(1)
    expect(JSON.parse(missing.stderr).error.code).toBe('ERR_STREAM_NOT_FOUND')
    const created = await ok(dir, 'create', '--content', '{"n":1}')
    await ok(dir, 'update', created.id, '--content', '{"n":2}')
    const stale = await kiln(dir, 'update', created.id, '--content', '{"n":3}', '--expected-tip', created.tip)
    expect(JSON.parse(stale.stderr).error.code).toBe('ERR_STALE_TIP')
    const usage = await kiln(dir, '--bogus')
    expect(usage.code).toBe(2)
  }, 60_000)

  it('without an identity the node reads but refuses to write', async () => {
    const dir = tempDir()
    const refused = await kiln(dir, 'create', '--content', '{}')
    expect(refused.code).toBe(1)
    expect(JSON.parse(refused.stderr).error.code).toBe('ERR_NO_SIGNER')
  }, 60_000)
})
