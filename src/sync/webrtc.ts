/**
 * The transports a browser adds for direct connections to other browsers: circuit relay v2 (a
 * reservation on each server peer it connects to, so others can reach it there) and WebRTC set
 * up over such a relayed connection (`/p2p-circuit/webrtc`). Relayed connections are capped by
 * the server (2 min, 128 KiB): they only carry the WebRTC set-up; sync runs on the direct one.
 *
 * Loaded only by a browser's worker, after its RTCPeerConnection stand-in is installed
 * (host/rtc-proxy.ts): @libp2p/webrtc reads the global RTCPeerConnection when it loads.
 */
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { webRTC } from '@libp2p/webrtc'
import type { IceServer } from '../api/rtc-bridge.js'
import type { DirectTransports } from './libp2p-config.js'

export interface WebRtcInit {
  /**
   * STUN and TURN servers for ICE. None by default: browsers then connect where they reach each
   * other's own addresses (one network, or one machine). Public ones would be asked about every
   * connection (design.md §6).
   */
  iceServers?: IceServer[]
}

export function webRtcTransports (init: WebRtcInit = {}): DirectTransports {
  return {
    transports: [circuitRelayTransport(), webRTC({ rtcConfiguration: { iceServers: init.iceServers ?? [] } })],
    listen: ['/p2p-circuit', '/webrtc']
  }
}
