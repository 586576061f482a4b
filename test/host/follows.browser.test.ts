import { expect, it } from 'vitest'
import { loadFollows } from '../../src/host/follows.js'

// Real IndexedDB (Chromium): the origin's settings, where a node keeps what it follows.
const MODELS = [
  'kjzl6hvfrbw6c6ipuj9oiyxanj9b9e1gps8n2y1t1vp19nrsvr5twt3cf49j3f1',
  'kjzl6hvfrbw6c5p93krhcgqmabkxhfgtf2weo8iri9mesjw4oj4e633rkg3ps14'
]

it('follows added at once are all kept, also after a restart; removing one at the same time keeps the others', async () => {
  const name = `follows-test-${Date.now()}`
  const follows = await loadFollows(name)
  const added = await Promise.all([
    follows.add({ model: MODELS[0] }),
    follows.add({ model: MODELS[1] }),
    follows.add({ model: MODELS[0], controller: 'did:key:z6MkAlice' }),
    follows.add({ model: MODELS[1] })
  ])
  expect(added).toEqual([true, true, true, false])
  const all = [{ model: MODELS[0] }, { model: MODELS[1] }, { model: MODELS[0], controller: 'did:key:z6MkAlice' }]
  expect(follows.list()).toEqual(all)
  expect((await loadFollows(name)).list()).toEqual(all)

  await Promise.all([follows.remove({ model: MODELS[1] }), follows.add({ model: MODELS[1], controller: 'did:key:z6MkBob' })])
  const after = [{ model: MODELS[0] }, { model: MODELS[0], controller: 'did:key:z6MkAlice' }, { model: MODELS[1], controller: 'did:key:z6MkBob' }]
  expect(follows.list()).toEqual(after)
  expect((await loadFollows(name)).list()).toEqual(after)
})
