/**
 * RTCPeerConnection for a worker, where browsers have none (design.md §6): stand-ins for
 * RTCPeerConnection, RTCDataChannel, RTCSessionDescription and RTCIceCandidate whose real objects
 * live in a tab (client/rtc-host.ts) and are driven over a MessagePort (api/rtc-bridge.ts).
 *
 * Only what @libp2p/webrtc's browser-to-browser transport uses is here: offers and answers, ICE
 * candidates, connection state, data channels with binary messages, `bufferedAmount` and
 * `bufferedamountlow` for back-pressure. Properties the transport reads synchronously
 * (`connectionState`, `readyState`, `bufferedAmount`) are kept current from the tab's events.
 *
 * One tab hosts at a time. When it goes (closed, or another took over) every peer connection it
 * held is closed here too, so libp2p drops those connections and dials again through the next host.
 */
import type { ChannelInit, ChannelState, FromRtcHost, IceCandidate, PeerCallName, PeerConfig, PeerState, SessionDescription, ToRtcHost } from '../api/rtc-bridge.js'

export interface RtcBridge {
  /** Puts the stand-ins on `scope` (the worker's global) where it has no RTCPeerConnection of its own. */
  install: (scope: typeof globalThis) => void
  /** A tab hosts the peer connections from now on (the previous host's connections close). */
  attach: (port: MessagePort) => void
  /** That tab is gone: its connections close. */
  detach: (port: MessagePort) => void
  /** Whether a tab hosts peer connections now (no host: no WebRTC dials). */
  hosted: () => boolean
  /** When the current host tab attached: peers learn from a new value that older connections are gone. */
  epoch: () => number
}

type Handler<E extends Event> = ((event: E) => void) | null

/** An EventTarget that also calls the `on<type>` property, as DOM objects do. */
class Emitter extends EventTarget {
  [handler: `on${string}`]: Handler<Event> | undefined
  emit (event: Event): void {
    this[`on${event.type}`]?.call(this, event)
    this.dispatchEvent(event)
  }
}

const withProps = <T extends object>(type: string, props: T): Event & T => Object.assign(new Event(type), props)

export function createRtcBridge (): RtcBridge {
  let port: MessagePort | undefined
  let attachedAt = 0
  let nextId = 1
  const peers = new Map<string, ProxyPeerConnection>()
  const channels = new Map<string, ProxyDataChannel>()
  const replies = new Map<number, { resolve: (value: unknown) => void, reject: (error: Error) => void }>()

  const post = (message: ToRtcHost, transfer: Transferable[] = []): void => { port?.postMessage(message, transfer) }

  const call = async (pc: string, name: PeerCallName, arg?: unknown): Promise<unknown> => {
    if (port == null) throw new Error('No tab hosts WebRTC peer connections')
    const reply = nextId++
    return await new Promise((resolve, reject) => {
      replies.set(reply, { resolve, reject })
      post({ op: 'call', pc, call: name, arg: arg == null ? undefined : JSON.parse(JSON.stringify(arg)), reply })
    })
  }

  class ProxyDataChannel extends Emitter {
    readonly label: string
    readonly protocol: string
    id: number | null
    readyState: ChannelState
    binaryType: BinaryType = 'arraybuffer'
    bufferedAmountLowThreshold = 0
    /** Bytes posted to the host that it has not sent yet, and what the real channel still buffers. */
    private unsent = 0
    private hostBuffered = 0

    constructor (readonly key: string, init: { label: string, protocol?: string, id?: number | null, readyState?: ChannelState }) {
      super()
      this.label = init.label
      this.protocol = init.protocol ?? ''
      this.id = init.id ?? null
      this.readyState = init.readyState ?? 'connecting'
      channels.set(key, this)
    }

    get bufferedAmount (): number { return this.unsent + this.hostBuffered }

    send (data: string | Blob | ArrayBuffer | ArrayBufferView): void {
      if (this.readyState !== 'open') throw new DOMException(`RTCDataChannel is ${this.readyState}`, 'InvalidStateError')
      if (typeof data === 'string' || data instanceof Blob) throw new TypeError('Only binary messages cross to the host tab')
      const view = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      const copy = view.slice().buffer
      this.unsent += copy.byteLength
      post({ op: 'send', dc: this.key, data: copy }, [copy])
    }

    close (): void {
      if (this.readyState === 'closed' || this.readyState === 'closing') return
      this.readyState = 'closing'
      post({ op: 'close-channel', dc: this.key })
    }

    buffered (sent: number, buffered: number): void {
      const before = this.bufferedAmount
      this.unsent = Math.max(0, this.unsent - sent)
      this.hostBuffered = buffered
      if (before > this.bufferedAmountLowThreshold && this.bufferedAmount <= this.bufferedAmountLowThreshold) this.emit(new Event('bufferedamountlow'))
    }

    changeState (readyState: ChannelState, id: number | null): void {
      if (id != null) this.id = id
      if (readyState === this.readyState || this.readyState === 'closed') return
      this.readyState = readyState
      if (readyState === 'open') this.emit(new Event('open'))
      if (readyState === 'closed') {
        channels.delete(this.key)
        this.emit(new Event('close'))
      }
    }
  }

  class ProxyPeerConnection extends Emitter {
    connectionState: PeerState = 'new'
    readonly key = `w${nextId++}`

    constructor (config: PeerConfig = {}) {
      super()
      peers.set(this.key, this)
      if (port == null) queueMicrotask(() => { this.changeState('failed') })
      else post({ op: 'open', pc: this.key, config: JSON.parse(JSON.stringify(config)) })
    }

    createDataChannel (label: string, init?: ChannelInit): ProxyDataChannel {
      const channel = new ProxyDataChannel(`w${nextId++}`, { label, protocol: init?.protocol })
      post({ op: 'channel', pc: this.key, dc: channel.key, label, init })
      return channel
    }

    async createOffer (): Promise<SessionDescription> { return await call(this.key, 'createOffer') as SessionDescription }
    async createAnswer (): Promise<SessionDescription> { return await call(this.key, 'createAnswer') as SessionDescription }
    async setLocalDescription (description: SessionDescription): Promise<void> { await call(this.key, 'setLocalDescription', description) }
    async setRemoteDescription (description: SessionDescription): Promise<void> { await call(this.key, 'setRemoteDescription', description) }
    async addIceCandidate (candidate: IceCandidate): Promise<void> { await call(this.key, 'addIceCandidate', candidate) }

    close (): void {
      if (this.connectionState === 'closed') return
      post({ op: 'close', pc: this.key })
      this.changeState('closed')
    }

    changeState (state: PeerState): void {
      if (state === this.connectionState || this.connectionState === 'closed') return
      this.connectionState = state
      this.emit(new Event('connectionstatechange'))
      if (state === 'closed') {
        peers.delete(this.key)
        this.emit(new Event('close'))
      }
    }
  }

  /** What the transport builds from signalling messages; plain data, as the tab wants it. */
  class ProxySessionDescription {
    readonly type: SessionDescription['type']
    readonly sdp: string
    constructor (init: SessionDescription) { this.type = init.type; this.sdp = init.sdp ?? '' }
    toJSON (): SessionDescription { return { type: this.type, sdp: this.sdp } }
  }

  class ProxyIceCandidate {
    readonly candidate: string
    readonly sdpMid: string | null
    readonly sdpMLineIndex: number | null
    readonly usernameFragment: string | null
    constructor (init: IceCandidate) {
      this.candidate = init.candidate ?? ''
      this.sdpMid = init.sdpMid ?? null
      this.sdpMLineIndex = init.sdpMLineIndex ?? null
      this.usernameFragment = init.usernameFragment ?? null
    }

    toJSON (): IceCandidate { return { candidate: this.candidate, sdpMid: this.sdpMid, sdpMLineIndex: this.sdpMLineIndex, usernameFragment: this.usernameFragment } }
  }

  const receive = (message: FromRtcHost): void => {
    switch (message.op) {
      case 'reply': {
        const waiting = replies.get(message.reply)
        replies.delete(message.reply)
        if (message.error != null) waiting?.reject(new Error(message.error))
        else waiting?.resolve(message.value)
        return
      }
      case 'state':
        peers.get(message.pc)?.changeState(message.connectionState)
        return
      case 'ice':
        peers.get(message.pc)?.emit(withProps('icecandidate', { candidate: message.candidate == null ? null : new ProxyIceCandidate(message.candidate) }))
        return
      case 'remote-channel': {
        const pc = peers.get(message.pc)
        const channel = new ProxyDataChannel(message.dc, message)
        pc?.emit(withProps('datachannel', { channel }))
        return
      }
      case 'channel-state':
        channels.get(message.dc)?.changeState(message.readyState, message.id)
        return
      case 'message':
        channels.get(message.dc)?.emit(new MessageEvent('message', { data: message.data }))
        return
      case 'buffered':
        channels.get(message.dc)?.buffered(message.sent, message.buffered)
        return
      case 'channel-error':
        channels.get(message.dc)?.emit(withProps('error', { error: new Error(message.message) }))
        return
      case 'gone':
        if (port != null) bridge.detach(port)
    }
  }

  /** The host is gone: whatever it held is gone with it. */
  const dropAll = (): void => {
    for (const waiting of replies.values()) waiting.reject(new Error('The tab hosting WebRTC went away'))
    replies.clear()
    for (const channel of [...channels.values()]) channel.changeState('closed', null)
    for (const pc of [...peers.values()]) pc.changeState('closed')
  }

  const bridge: RtcBridge = {
    install (scope) {
      if (typeof (scope as { RTCPeerConnection?: unknown }).RTCPeerConnection === 'function') return
      Object.assign(scope, { RTCPeerConnection: ProxyPeerConnection, RTCSessionDescription: ProxySessionDescription, RTCIceCandidate: ProxyIceCandidate })
    },
    attach (next) {
      if (port != null) {
        dropAll()
        port.close()
      }
      port = next
      attachedAt = Date.now()
      next.onmessage = (event: MessageEvent<FromRtcHost>) => { receive(event.data) }
    },
    detach (gone) {
      if (port !== gone) return
      port = undefined
      dropAll()
      gone.close()
    },
    hosted: () => port != null,
    epoch: () => attachedAt
  }
  return bridge
}
