import type { Stream } from '@libp2p/interface'
import { describe, expect, it } from 'vitest'
import { requestBlocks } from '../../src/sync/block-exchange.js'
import { BLOCK_PROTOCOLS, HEADS_PROTOCOL, RECON_PROTOCOL } from '../../src/sync/constants.js'
import { connect, peersStoppedAfterEach, waitFor } from './peers.js'

const peer = peersStoppedAfterEach()

// Found by the five-node partition test: an answer cut short by a reset or a hang-up counted as a
// malformed answer (a reset stream ends its reads as quietly as a closed one), so honest peers on
// a flaky network, or ones that went offline mid-answer, were scored towards a ban.
describe('sync: a stream reset by the link is not held against the peer', () => {
  it('a block answer cut short (a reset, a hang-up mid-answer) is "peer unavailable", not a protocol error, and costs the server nothing', async () => {
    const reader = await peer('reader')
    const server = await peer('server')
    await connect(reader, server)
    // Too big to ride in its announcement (a small commit's blocks would reach the reader by gossip).
    const stream = await server.node.create({ content: { v: 1, body: 'x'.repeat(5_000) } })
    // The server's link drops each block request as it arrives or once its bytes are in, or the
    // server closes without answering (as when it shuts down mid-request).
    const cuts: Array<(s: Stream) => Promise<void>> = [
      async (s) => { s.abort(new Error('link dropped')) },
      async (s) => { for await (const _ of s) break; s.abort(new Error('link dropped')) },
      async (s) => { for await (const _ of s) break; await s.close() }
    ]
    for (const cut of cuts) {
      await server.libp2p.unhandle([...BLOCK_PROTOCOLS])
      await server.libp2p.handle([...BLOCK_PROTOCOLS], cut)
      await expect(requestBlocks(reader.libp2p, server.libp2p.peerId, [stream.tip])).rejects.toMatchObject({ code: 'ERR_PEER_UNAVAILABLE' })
      expect(await reader.sync.fetchStream(stream.id)).toBe(false)
    }
    expect(reader.sync.status().penalties).toBe(0)
  })

  it('a Recon responder that goes away mid-session costs it nothing', async () => {
    const reader = await peer('reader')
    const server = await peer('server')
    await connect(reader, server)
    await server.node.create({ content: { v: 1 } })
    await server.libp2p.unhandle(RECON_PROTOCOL)
    await server.libp2p.handle(RECON_PROTOCOL, async (s) => { for await (const _ of s) break; await s.close() })
    const status = await reader.sync.syncNow()
    expect(status.penalties).toBe(0)
    expect(status.failed).toBeGreaterThan(0)
  })

  it('a request cut by a reset, or closed before any byte, costs the requester nothing; one that closes inside a frame still counts', async () => {
    const requester = await peer('requester')
    const server = await peer('server')
    await connect(requester, server)
    // Half a frame: a length prefix of 10 bytes and 1 byte of body.
    // Half a frame, then the link resets: at once, and once the server is reading.
    for (const pauseMs of [0, 200]) {
      const cut = await requester.libp2p.dialProtocol(server.libp2p.peerId, HEADS_PROTOCOL)
      cut.send(new Uint8Array([10, 0xa1]))
      await new Promise((resolve) => setTimeout(resolve, pauseMs))
      cut.abort(new Error('link dropped'))
    }
    // A stream closed before any request byte: the requester's connection closed under it.
    const empty = await requester.libp2p.dialProtocol(server.libp2p.peerId, HEADS_PROTOCOL)
    await empty.close().catch(() => {})
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(server.sync.status().penalties).toBe(0)

    // The same half frame closed on purpose is a malformed request.
    const closed = await requester.libp2p.dialProtocol(server.libp2p.peerId, HEADS_PROTOCOL)
    closed.send(new Uint8Array([10, 0xa1]))
    await closed.close().catch(() => {})
    await waitFor(() => server.sync.status().penalties > 0, 'the server to count the truncated request')
    expect(server.sync.status().penalties).toBe(1)
  })
})
