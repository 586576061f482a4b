// Copied into the directory where the package test installs Kiln: it uses the package as a Node
// program would, through its exports only (kiln/node, kiln/server), and prints what it saw as one
// JSON line for the test to check. The test also type-checks it against the installed types.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createStreamNode, createDiskStore, createDidKeySigner, StaleTipError } from 'kiln/node'
import { startServerPeer } from 'kiln/server'

const dir = mkdtempSync(join(tmpdir(), 'kiln-use-'))
const signer = await createDidKeySigner(new Uint8Array(32).fill(7))
const node = createStreamNode({ store: await createDiskStore({ path: join(dir, 'store') }), signer })
const created = await node.create({ content: { title: 'from a script' }, family: 'notes' })
const updated = await node.update(created.id, { content: { title: 'updated' }, expectedTip: created.tip })
const stale = await node.update(created.id, { content: { title: 'stale' }, expectedTip: created.tip }).then(() => undefined, (err) => err)
const loaded = await node.load(created.id)

const peer = await startServerPeer({ node, dir, listen: ['/ip4/127.0.0.1/tcp/0/ws'], httpHost: '127.0.0.1', httpPort: 0 })
const served = await (await fetch(`${peer.http}/streams/${created.id}`)).json()
await peer.stop()
await node.close()

console.log(JSON.stringify({
  node: process.version,
  id: created.id,
  tip: updated.tip,
  loaded: { content: loaded.content, tip: loaded.tip, versions: loaded.log.length, family: loaded.metadata.family },
  stale: { code: stale?.code, typed: stale instanceof StaleTipError },
  served: { tip: served.tip, content: served.content },
  multiaddr: peer.multiaddrs()[0]
}))
