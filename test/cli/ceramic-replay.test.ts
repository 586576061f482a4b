import { describe, expect, it } from 'vitest'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { CeramicWorld } from '../fixtures/ceramic-replay.js'

const exec = promisify(execFile)
const KILN = join(import.meta.dirname, '../../bin/kiln.js')

async function kiln (dir: string, ...args: string[]): Promise<any> {
  const { stdout } = await exec(process.execPath, [KILN, '--dir', dir, ...args], { env: { ...process.env, KILN_SEED: '' }, encoding: 'utf8' })
  return JSON.parse(stdout)
}

/** What a new user does (issue 11): create and update with the CLI, export, and replay through Ceramic. */
describe('streams made with the kiln CLI replay through Ceramic\'s own handlers', () => {
  it('a Tile created, updated by content, by patch and by header flags; a Model and a list document', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-ceramic-'))
    await kiln(dir, 'init')
    const schema = await kiln(dir, 'create', '--content', JSON.stringify({ type: 'object', properties: { title: { type: 'string' } } }))
    const note = await kiln(dir, 'create', '--content', '{"title":"hello"}', '--family', 'notes', '--tags', 'x,y')
    await kiln(dir, 'update', note.id, '--content', '{"title":"hello again"}')
    await kiln(dir, 'update', note.id, '--patch', '[{"op":"add","path":"/done","value":true}]')
    await kiln(dir, 'update', note.id, '--tags', 'x,y,z', '--schema', schema.commitId)
    const shown = await kiln(dir, 'show', note.id)
    expect(shown.metadata).toMatchObject({ tags: ['x', 'y', 'z'], schema: schema.commitId })

    const model = await kiln(dir, 'create', '--type', 'model', '--content', JSON.stringify({
      version: '2.0', name: 'Note', interface: false, implements: [], accountRelation: { type: 'list' },
      schema: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', additionalProperties: false, properties: { text: { type: 'string' } }, required: ['text'] }
    }))
    const doc = await kiln(dir, 'create', '--type', 'MID', '--model', model.id, '--content', '{"text":"one"}')
    await kiln(dir, 'update', doc.id, '--content', '{"text":"two"}')
    const docShown = await kiln(dir, 'show', doc.id)

    const world = new CeramicWorld()
    for (const stream of [schema, note, model, doc]) {
      const out = join(dir, `${stream.id as string}.car`)
      await kiln(dir, 'export', stream.id, '--out', out)
      await world.addCar(new Uint8Array(readFileSync(out)), stream.id)
    }
    const tile = await world.view(note.id)
    expect(tile.content).toEqual({ title: 'hello again', done: true })
    expect(tile.metadata).toMatchObject({ controllers: shown.metadata.controllers, family: 'notes', tags: ['x', 'y', 'z'], schema: schema.commitId })
    expect(tile.state.log.map((e) => e.cid.toString())).toEqual(shown.log.map((e: { cid: string }) => e.cid))
    const mid = await world.view(doc.id)
    expect(mid.content).toEqual(docShown.content)
    expect(mid.state.log.map((e) => e.cid.toString())).toEqual(docShown.log.map((e: { cid: string }) => e.cid))
  }, 120_000)
})
