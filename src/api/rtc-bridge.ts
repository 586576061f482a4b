/**
 * The messages between the worker's RTCPeerConnection stand-in (host/rtc-proxy.ts) and the tab
 * that makes the real peer connections for it (client/rtc-host.ts), over one MessagePort.
 * Workers have no RTCPeerConnection (design.md §6), so a page holds every peer connection and data
 * channel and the worker's libp2p drives them by these messages. Ids are strings: `w…` for the
 * objects the worker made, `p…` for data channels the remote peer opened.
 */

/**
 * Served on a SharedWorker client's port next to the calls of api/calls.ts, outside that table:
 * it hands over a MessagePort, which only a tab with its own port to the worker can do (the
 * fallback's leader tab owns its worker and hands the port over directly).
 */
export interface RtcHostCall {
  /** This tab makes the worker's WebRTC peer connections from now on, over `port`, until it is gone or another tab takes over. */
  hostPeerConnections: (port: MessagePort) => Promise<void>
}

// WebRTC's dictionaries as plain data (a worker's TypeScript lib has no RTCPeerConnection types).
export type PeerState = 'new' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed'
export type ChannelState = 'connecting' | 'open' | 'closing' | 'closed'
export interface IceServer { urls: string | string[], username?: string, credential?: string }
export interface PeerConfig { iceServers?: IceServer[] }
export interface SessionDescription { type: 'offer' | 'answer' | 'pranswer' | 'rollback', sdp?: string }
export interface IceCandidate { candidate?: string, sdpMid?: string | null, sdpMLineIndex?: number | null, usernameFragment?: string | null }
export interface ChannelInit { ordered?: boolean, maxPacketLifeTime?: number, maxRetransmits?: number, protocol?: string, negotiated?: boolean, id?: number }

/** A peer connection call that answers (the signalling steps). */
export type PeerCallName = 'createOffer' | 'createAnswer' | 'setLocalDescription' | 'setRemoteDescription' | 'addIceCandidate'

/** Worker → host tab. */
export type ToRtcHost =
  | { op: 'open', pc: string, config: PeerConfig }
  | { op: 'call', pc: string, call: PeerCallName, arg?: unknown, reply: number }
  | { op: 'close', pc: string }
  | { op: 'channel', pc: string, dc: string, label: string, init?: ChannelInit }
  | { op: 'send', dc: string, data: ArrayBuffer }
  | { op: 'close-channel', dc: string }

/** Host tab → worker. */
export type FromRtcHost =
  | { op: 'reply', reply: number, value?: unknown, error?: string }
  | { op: 'state', pc: string, connectionState: PeerState }
  | { op: 'ice', pc: string, candidate: IceCandidate | null }
  | { op: 'remote-channel', pc: string, dc: string, label: string, protocol: string, id: number | null, readyState: ChannelState }
  | { op: 'channel-state', dc: string, readyState: ChannelState, id: number | null }
  | { op: 'message', dc: string, data: ArrayBuffer }
  /** After a send or a drain: `sent` bytes left the worker's count, `buffered` is the real channel's bufferedAmount. */
  | { op: 'buffered', dc: string, sent: number, buffered: number }
  | { op: 'channel-error', dc: string, message: string }
  /** The tab stopped hosting (its Kiln closed); its peer connections are closed. */
  | { op: 'gone' }
