import { afterEach, describe, expect, it } from 'vitest'
import type { FromRtcHost, ToRtcHost } from '../../src/api/rtc-bridge.js'
import { createRtcBridge, type RtcBridge } from '../../src/host/rtc-proxy.js'

// The worker's RTCPeerConnection stand-ins against a scripted host tab on a real MessageChannel:
// what libp2p's WebRTC transport reads and hears must follow what the tab's real objects do.

interface StandIn extends EventTarget { [key: string]: unknown }
type PeerConnectionClass = new (config?: unknown) => StandIn & {
  connectionState: string
  createDataChannel: (label: string) => StandIn & { readyState: string, bufferedAmount: number, bufferedAmountLowThreshold: number, send: (data: Uint8Array) => void, close: () => void }
  createOffer: () => Promise<{ type: string, sdp: string }>
  setRemoteDescription: (d: unknown) => Promise<void>
  close: () => void
}

const ports: MessagePort[] = []
afterEach(() => { for (const port of ports.splice(0)) port.close() })

/** A bridge attached to a fake host: `heard` collects what the worker sent, `say` answers as the tab. */
function hosted (): { bridge: RtcBridge, PC: PeerConnectionClass, hostPort: MessagePort, heard: ToRtcHost[], say: (m: FromRtcHost) => void, next: (op: ToRtcHost['op']) => Promise<ToRtcHost> } {
  const bridge = createRtcBridge()
  const scope = {} as typeof globalThis
  bridge.install(scope)
  const { port1, port2 } = new MessageChannel()
  ports.push(port1, port2)
  const heard: ToRtcHost[] = []
  const waiters: Array<() => void> = []
  port2.onmessage = (event: MessageEvent<ToRtcHost>) => { heard.push(event.data); for (const wake of waiters.splice(0)) wake() }
  bridge.attach(port1)
  const next = async (op: ToRtcHost['op']): Promise<ToRtcHost> => {
    for (;;) {
      const found = heard.find((m) => m.op === op)
      if (found != null) { heard.splice(heard.indexOf(found), 1); return found }
      await new Promise<void>((resolve) => waiters.push(resolve))
    }
  }
  return { bridge, PC: (scope as unknown as { RTCPeerConnection: PeerConnectionClass }).RTCPeerConnection, hostPort: port2, heard, say: (m) => { port2.postMessage(m) }, next }
}

const eventOnce = async (target: EventTarget, type: string): Promise<Event> => await new Promise((resolve) => { target.addEventListener(type, resolve, { once: true }) })

describe('RTCPeerConnection stand-in for a worker', () => {
  it('installs only where the scope has no RTCPeerConnection of its own', () => {
    const own = class {}
    const scope = { RTCPeerConnection: own } as unknown as typeof globalThis
    createRtcBridge().install(scope)
    expect((scope as unknown as { RTCPeerConnection: unknown }).RTCPeerConnection).toBe(own)
  })

  it('signalling calls are made by the host tab and answered with its result or its error', async () => {
    const { PC, say, next } = hosted()
    const pc = new PC({ iceServers: [] })
    expect(await next('open')).toMatchObject({ op: 'open', config: { iceServers: [] } })
    const offer = pc.createOffer()
    const call = await next('call') as Extract<ToRtcHost, { op: 'call' }>
    expect(call.call).toBe('createOffer')
    say({ op: 'reply', reply: call.reply, value: { type: 'offer', sdp: 'v=0' } })
    expect(await offer).toEqual({ type: 'offer', sdp: 'v=0' })

    const refused = pc.setRemoteDescription({ type: 'answer', sdp: 'garbage' })
    const second = await next('call') as Extract<ToRtcHost, { op: 'call' }>
    expect(second).toMatchObject({ call: 'setRemoteDescription', arg: { type: 'answer', sdp: 'garbage' } })
    say({ op: 'reply', reply: second.reply, error: 'Failed to parse SessionDescription' })
    await expect(refused).rejects.toThrow('Failed to parse SessionDescription')
  })

  it('connection state, ICE candidates and a data channel follow the host; sent bytes arrive whole and count as buffered until the host sends them', async () => {
    const { PC, say, next } = hosted()
    const pc = new PC()
    const { pc: key } = await next('open') as Extract<ToRtcHost, { op: 'open' }>
    const candidates: unknown[] = []
    pc.onicecandidate = (event: Event) => { candidates.push((event as Event & { candidate: { toJSON: () => unknown } | null }).candidate?.toJSON() ?? null) }
    const changed = eventOnce(pc, 'connectionstatechange')
    say({ op: 'ice', pc: key, candidate: { candidate: 'candidate:1 1 udp 1 198.18.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 } })
    say({ op: 'ice', pc: key, candidate: null })
    say({ op: 'state', pc: key, connectionState: 'connected' })
    await changed
    expect(pc.connectionState).toBe('connected')
    expect(candidates).toEqual([{ candidate: 'candidate:1 1 udp 1 198.18.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0, usernameFragment: null }, null])

    const channel = pc.createDataChannel('')
    const { dc } = await next('channel') as Extract<ToRtcHost, { op: 'channel' }>
    expect(channel.readyState).toBe('connecting')
    expect(() => { channel.send(new Uint8Array([1])) }).toThrow(/connecting/)
    const opened = eventOnce(channel, 'open')
    say({ op: 'channel-state', dc, readyState: 'open', id: 3 })
    await opened
    expect(channel).toMatchObject({ readyState: 'open', id: 3 })

    const whole = new Uint8Array([9, 1, 2, 3, 4, 9])
    channel.send(whole.subarray(1, 5))
    const sent = await next('send') as Extract<ToRtcHost, { op: 'send' }>
    expect(new Uint8Array(sent.data)).toEqual(new Uint8Array([1, 2, 3, 4]))
    expect(channel.bufferedAmount).toBe(4)
    let low = 0
    channel.onbufferedamountlow = () => { low++ }
    say({ op: 'buffered', dc, sent: 4, buffered: 4 })
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect([channel.bufferedAmount, low]).toEqual([4, 0])
    const drained = eventOnce(channel, 'bufferedamountlow')
    say({ op: 'buffered', dc, sent: 0, buffered: 0 })
    await drained
    expect([channel.bufferedAmount, low]).toEqual([0, 1])

    const message = eventOnce(channel, 'message')
    const bytes = new Uint8Array([7, 7]).buffer
    say({ op: 'message', dc, data: bytes })
    expect(new Uint8Array((await message as MessageEvent<ArrayBuffer>).data)).toEqual(new Uint8Array([7, 7]))
  })

  it('a channel the remote opens arrives as a datachannel event, already open, with its messages after it', async () => {
    const { PC, say, next } = hosted()
    const pc = new PC()
    const { pc: key } = await next('open') as Extract<ToRtcHost, { op: 'open' }>
    const got: unknown[] = []
    pc.addEventListener('datachannel', (event) => {
      const channel = (event as Event & { channel: StandIn & { label: string, readyState: string } }).channel
      got.push({ label: channel.label, readyState: channel.readyState })
      channel.onmessage = (m: Event) => { got.push(new Uint8Array((m as MessageEvent<ArrayBuffer>).data)[0]) }
    })
    say({ op: 'remote-channel', pc: key, dc: 'p1', label: '', protocol: '', id: 1, readyState: 'open' })
    say({ op: 'message', dc: 'p1', data: new Uint8Array([5]).buffer })
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(got).toEqual([{ label: '', readyState: 'open' }, 5])
  })

  it('when the host tab goes, its peer connections and channels close and unanswered calls fail', async () => {
    const { bridge, PC, say, next } = hosted()
    const pc = new PC()
    const { pc: key } = await next('open') as Extract<ToRtcHost, { op: 'open' }>
    say({ op: 'state', pc: key, connectionState: 'connected' })
    await eventOnce(pc, 'connectionstatechange')
    const channel = pc.createDataChannel('')
    const { dc } = await next('channel') as Extract<ToRtcHost, { op: 'channel' }>
    say({ op: 'channel-state', dc, readyState: 'open', id: 1 })
    await eventOnce(channel, 'open')
    const pending = pc.createOffer()
    await next('call')

    const closed = [eventOnce(channel, 'close'), eventOnce(pc, 'connectionstatechange')]
    say({ op: 'gone' })
    await Promise.all(closed)
    expect([pc.connectionState, channel.readyState, bridge.hosted()]).toEqual(['closed', 'closed', false])
    await expect(pending).rejects.toThrow('went away')
  })

  it('without a host a new peer connection fails at once, so libp2p gives up the dial', async () => {
    const bridge = createRtcBridge()
    const scope = {} as typeof globalThis
    bridge.install(scope)
    const PC = (scope as unknown as { RTCPeerConnection: PeerConnectionClass }).RTCPeerConnection
    const pc = new PC()
    await eventOnce(pc, 'connectionstatechange')
    expect(pc.connectionState).toBe('failed')
    await expect(pc.createOffer()).rejects.toThrow('No tab hosts')
  })
})

describe('the host tab\'s peer connections', () => {
  it('use the ICE servers given to connect() in place of the worker\'s (none)', async () => {
    const { hostPeerConnections } = await import('../../src/client/rtc-host.js')
    const made: unknown[] = []
    const real = (globalThis as { RTCPeerConnection?: unknown }).RTCPeerConnection
    ;(globalThis as { RTCPeerConnection?: unknown }).RTCPeerConnection = class { constructor (config: unknown) { made.push(config) } close (): void {} }
    const { port1, port2 } = new MessageChannel()
    ports.push(port1, port2)
    try {
      const turn = { urls: 'turn:turn.example:3478', username: 'u', credential: 'c' }
      const stopWith = hostPeerConnections(port1, { iceServers: [turn] })
      port2.postMessage({ op: 'open', pc: 'p1', config: { iceServers: [] } } satisfies ToRtcHost)
      await expect.poll(() => made).toEqual([{ iceServers: [turn] }])
      stopWith()
      const { port1: bare, port2: worker } = new MessageChannel()
      ports.push(bare, worker)
      const stop = hostPeerConnections(bare)
      worker.postMessage({ op: 'open', pc: 'p2', config: { iceServers: [] } } satisfies ToRtcHost)
      await expect.poll(() => made).toHaveLength(2)
      expect(made[1]).toEqual({ iceServers: [] })
      stop()
    } finally {
      ;(globalThis as { RTCPeerConnection?: unknown }).RTCPeerConnection = real
    }
  })
})
