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

/** Documents with a title and a score. */
const scoredModel = {
  version: '2.0',
  name: 'Scored',
  interface: false,
  implements: [],
  accountRelation: { type: 'list' },
  schema: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', additionalProperties: false, properties: { title: { type: 'string' }, score: { type: 'integer' } }, required: ['title'] }
}

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

  it('query filters, sorts, pages and counts a Model\'s documents by content once an index is declared', async () => {
    const dir = tempDir()
    await ok(dir, 'init')
    const model = await ok(dir, 'create', '--type', 'model', '--content', JSON.stringify(scoredModel))
    for (const [title, score] of [['a', 3], ['b', 1], ['d', 5]] as const) {
      await ok(dir, 'create', '--type', 'MID', '--model', model.id, '--content', JSON.stringify({ title, score }))
    }
    const titles = (page: { items: Array<{ content: { title: string } }> }): string[] => page.items.map((s) => s.content.title)
    const unindexed = await kiln(dir, 'query', '--model', model.id, '--where', '{"score":1}')
    expect(unindexed.code).toBe(1)
    expect(JSON.parse(unindexed.stderr).error.code).toBe('ERR_NOT_INDEXED')

    // Declared after the documents were written: they are indexed too.
    expect(await ok(dir, 'index', `${model.id}:score`)).toEqual(expect.arrayContaining([expect.objectContaining({ model: model.id, fields: ['score'], state: 'ready' })]))
    const where = ['--model', model.id, '--where', '{"score":{"greaterThan":1}}']
    expect(titles(await ok(dir, 'query', ...where, '--sort', '{"score":"desc"}'))).toEqual(['d', 'a'])
    expect(await ok(dir, 'query', ...where, '--count')).toEqual({ count: 2 })
    const first = await ok(dir, 'query', ...where, '--sort', '{"score":"asc"}', '--limit', '1')
    expect(titles(first)).toEqual(['a'])
    expect(titles(await ok(dir, 'query', ...where, '--sort', '{"score":"asc"}', '--limit', '1', '--cursor', first.cursor))).toEqual(['d'])
    expect(await ok(dir, 'indexes', '--model', model.id)).toEqual(expect.arrayContaining([expect.objectContaining({ fields: ['score'] })]))
    // Each run starts a process: two bad inputs stand for the rest (the HTTP tests cover them all).
    for (const args of [['--where', '[1]'], ['--limit', 'x']]) {
      const refused = await kiln(dir, 'query', '--model', model.id, ...args)
      expect(JSON.parse(refused.stderr).error.code, args.join(' ')).toBe('ERR_INVALID_INPUT')
    }
  }, 120_000)

  it('without an identity the node reads but refuses to write', async () => {
    const dir = tempDir()
    const refused = await kiln(dir, 'create', '--content', '{}')
    expect(refused.code).toBe(1)
    expect(JSON.parse(refused.stderr).error.code).toBe('ERR_NO_SIGNER')
  }, 60_000)
})
