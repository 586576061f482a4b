/**
 * The page side of the worker's WebRTC (host/rtc-proxy.ts): this tab makes the real
 * RTCPeerConnections and data channels that the worker's libp2p asks for, and passes their
 * events and data back over a MessagePort (api/rtc-bridge.ts). Workers have none of their own.
 */
import { rtcHostLock } from '../api/names.js'
import type { FromRtcHost, IceServer, ToRtcHost } from '../api/rtc-bridge.js'

export interface RtcHostOptions {
  /** STUN and TURN servers this tab's peer connections use (connect()'s `iceServers`), in place of the worker's (none). */
  iceServers?: IceServer[]
}

/** Serves the worker's peer connections on `port` until the tab closes (or `stop`). */
export function hostPeerConnections (port: MessagePort, options: RtcHostOptions = {}): () => void {
  const peers = new Map<string, RTCPeerConnection>()
  const channels = new Map<string, RTCDataChannel>()
  let remoteChannels = 0
  const post = (message: FromRtcHost, transfer: Transferable[] = []): void => { port.postMessage(message, transfer) }

  const wire = (key: string, channel: RTCDataChannel): void => {
    channels.set(key, channel)
    channel.binaryType = 'arraybuffer'
    channel.bufferedAmountLowThreshold = 0
    channel.onopen = () => { post({ op: 'channel-state', dc: key, readyState: 'open', id: channel.id }) }
    channel.onclose = () => {
      channels.delete(key)
      post({ op: 'channel-state', dc: key, readyState: 'closed', id: channel.id })
    }
    channel.onerror = (event) => { post({ op: 'channel-error', dc: key, message: (event as RTCErrorEvent).error?.message ?? 'data channel error' }) }
    channel.onmessage = (event: MessageEvent<ArrayBuffer>) => { post({ op: 'message', dc: key, data: event.data }, [event.data]) }
    channel.onbufferedamountlow = () => { post({ op: 'buffered', dc: key, sent: 0, buffered: channel.bufferedAmount }) }
  }

  const open = (key: string, config: RTCConfiguration): void => {
    const pc = new RTCPeerConnection(options.iceServers == null ? config : { ...config, iceServers: options.iceServers })
    peers.set(key, pc)
    pc.onconnectionstatechange = () => {
      post({ op: 'state', pc: key, connectionState: pc.connectionState })
      if (pc.connectionState === 'closed' || pc.connectionState === 'failed') peers.delete(key)
    }
    pc.onicecandidate = ({ candidate }) => { post({ op: 'ice', pc: key, candidate: candidate?.toJSON() ?? null }) }
    pc.ondatachannel = ({ channel }) => {
      const dc = `p${++remoteChannels}`
      wire(dc, channel)
      post({ op: 'remote-channel', pc: key, dc, label: channel.label, protocol: channel.protocol, id: channel.id, readyState: channel.readyState })
    }
  }

  const call = async (message: Extract<ToRtcHost, { op: 'call' }>): Promise<unknown> => {
    const pc = peers.get(message.pc)
    if (pc == null) throw new Error('No such peer connection (closed)')
    switch (message.call) {
      case 'createOffer': return toPlain(await pc.createOffer())
      case 'createAnswer': return toPlain(await pc.createAnswer())
      case 'setLocalDescription': return await pc.setLocalDescription(message.arg as RTCSessionDescriptionInit)
      case 'setRemoteDescription': return await pc.setRemoteDescription(message.arg as RTCSessionDescriptionInit)
      case 'addIceCandidate': return await pc.addIceCandidate(message.arg as RTCIceCandidateInit)
    }
  }

  port.onmessage = (event: MessageEvent<ToRtcHost>) => {
    const message = event.data
    switch (message.op) {
      case 'open':
        open(message.pc, message.config)
        return
      case 'call':
        call(message).then(
          (value) => { post({ op: 'reply', reply: message.reply, value }) },
          (err: unknown) => { post({ op: 'reply', reply: message.reply, error: (err as Error)?.message ?? String(err) }) })
        return
      case 'close':
        peers.get(message.pc)?.close()
        peers.delete(message.pc)
        return
      case 'channel': {
        const pc = peers.get(message.pc)
        if (pc == null) {
          post({ op: 'channel-state', dc: message.dc, readyState: 'closed', id: null })
          return
        }
        wire(message.dc, pc.createDataChannel(message.label, message.init))
        return
      }
      case 'send': {
        const channel = channels.get(message.dc)
        try {
          channel?.send(message.data)
        } catch (err) {
          post({ op: 'channel-error', dc: message.dc, message: (err as Error).message })
        }
        post({ op: 'buffered', dc: message.dc, sent: message.data.byteLength, buffered: channel?.bufferedAmount ?? 0 })
        return
      }
      case 'close-channel':
        channels.get(message.dc)?.close()
    }
  }
  return () => {
    post({ op: 'gone' })
    port.onmessage = null
    for (const pc of peers.values()) pc.close()
    peers.clear()
    channels.clear()
    port.close()
  }
}

const toPlain = (description: RTCSessionDescriptionInit): RTCSessionDescriptionInit => ({ type: description.type, sdp: description.sdp })

/**
 * One tab of the origin hosts the worker's peer connections: the one holding the Web Lock
 * `kiln-rtc-host:<name>`, for its lifetime; when it closes the lock passes to another tab, which
 * hosts from then on (the worker dials its WebRTC peers again through it). `offer` hands the
 * worker this tab's port.
 */
export function electRtcHost (name: string, offer: (port: MessagePort) => Promise<void>, signal: AbortSignal, options: RtcHostOptions = {}): void {
  if (typeof RTCPeerConnection !== 'function' || typeof navigator.locks?.request !== 'function') return
  navigator.locks.request(rtcHostLock(name), { signal }, async () => {
    const { port1, port2 } = new MessageChannel()
    const stop = hostPeerConnections(port1, options)
    try {
      await offer(port2)
    } catch (err) {
      stop()
      throw err
    }
    await new Promise<void>((resolve) => { signal.addEventListener('abort', () => { stop(); resolve() }, { once: true }) })
  }).catch((err: unknown) => {
    // Closed before this tab's turn to host: nothing to report.
    if (!signal.aborted) reportError(err)
  })
}
