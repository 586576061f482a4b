/**
 * Presence: who is looking at a stream now, with a small JSON state of theirs (a cursor, "typing").
 * Ephemeral: it travels on a gossipsub topic per stream (PRESENCE_TOPIC_PREFIX + StreamID) over
 * whatever connections a node has (direct WebRTC ones and server peers alike), is kept in memory
 * until PRESENCE_TTL_MS after it was sent, and is never stored.
 *
 * A message is signed twice: by gossipsub with the sender's peer key, and inside by the sender's
 * device key (an Ed25519 did:key) over the exact payload text, which names the stream and the
 * sender's peer id, so it cannot be replayed on another stream or by another peer. Receivers check
 * both, the size, the date and the sender's rate: a bad message is rejected and counts against the
 * peer that passed it on; past the rate, a sender's messages are dropped and count against it.
 *
 * Browsers join a stream's topic when a page watches or sets presence on it. A node without a key
 * (a server peer) joins the topics its peers join, only to pass presence on, checking it as well.
 */
import { TopicValidatorResult, type GossipSub, type Message, type SubscriptionChangeData } from '@libp2p/gossipsub'
import type { Libp2p, Logger, PeerId } from '@libp2p/interface'
import { base64url } from 'multiformats/bases/base64'
import { fromString as bytesFromString, toString as bytesToString } from 'uint8arrays'
import { InvalidInputError, InvalidSignatureError, NoSignerError, OversizeError, RateLimitedError, SyncProtocolError, WrongControllerError } from '../errors.js'
import { keyFromDidKey } from '../identity/did-key.js'
import { verifyEd25519 } from '../identity/ed25519.js'
import { StreamID } from '../ids/index.js'
import {
  MAX_PRESENCE_MESSAGE_BYTES, MAX_PRESENCE_STATE_BYTES, MAX_PRESENCE_STREAMS, MAX_RELAYED_PRESENCE_STREAMS, PRESENCE_CLOCK_SKEW_MS,
  PRESENCE_PER_SECOND, PRESENCE_REFRESH_MS, PRESENCE_TOPIC_PREFIX, PRESENCE_TTL_MS
} from './constants.js'
import type { PeerScore } from './peer-score.js'

/** Someone else present on a stream. */
export interface PresencePeer {
  /** The device key (did:key) that signed it. */
  did: string
  /** The sender's libp2p peer id (one per browser). */
  peer: string
  /** What the sender set: any JSON value of at most MAX_PRESENCE_STATE_BYTES. */
  state: unknown
  /** When it was sent (ms since the epoch, by the sender's clock). */
  at: number
}

/** What a message says, as signed. A `state` of null means the sender left. */
export interface PresencePayload {
  stream: string
  did: string
  peer: string
  at: number
  state: unknown
}

/** What signs presence: a did:key (Ed25519), as a browser's device signer is. */
export interface PresenceSigner {
  readonly id: string
  sign: (data: Uint8Array) => Promise<Uint8Array>
}

export const presenceTopic = (stream: string): string => `${PRESENCE_TOPIC_PREFIX}${stream}`

const utf8Length = (text: string): number => bytesFromString(text).byteLength

/** A state as the text it travels as; typed errors for what is not a small JSON value. */
function stateText (state: unknown): string {
  let text: string | undefined
  try {
    text = JSON.stringify(state)
  } catch (err) {
    throw new InvalidInputError('A presence state must be a JSON value', undefined, { cause: err })
  }
  if (text === undefined) throw new InvalidInputError('A presence state must be a JSON value')
  if (utf8Length(text) > MAX_PRESENCE_STATE_BYTES) {
    throw new OversizeError(`A presence state is at most ${MAX_PRESENCE_STATE_BYTES} bytes of JSON`, { max: MAX_PRESENCE_STATE_BYTES, size: utf8Length(text) })
  }
  return text
}

/** The message for `payload`: its exact JSON text and the signer's signature over that text. */
export async function signPresence (payload: PresencePayload, signer: PresenceSigner): Promise<Uint8Array> {
  stateText(payload.state)
  const text = JSON.stringify(payload)
  const sig = await signer.sign(bytesFromString(text))
  return bytesFromString(JSON.stringify({ payload: text, sig: base64url.baseEncode(sig) }))
}

/**
 * The payload of a presence message that `peer` sent on `stream`'s topic, once its device
 * signature verifies. Throws OversizeError, SyncProtocolError (malformed, or naming another stream
 * or peer), WrongControllerError (not an Ed25519 did:key) or InvalidSignatureError.
 */
export async function openPresence (data: Uint8Array, expected: { stream: string, peer: string }): Promise<PresencePayload> {
  if (data.byteLength > MAX_PRESENCE_MESSAGE_BYTES) throw new OversizeError(`A presence message is at most ${MAX_PRESENCE_MESSAGE_BYTES} bytes`, { size: data.byteLength })
  let text: string
  let sig: Uint8Array
  let payload: PresencePayload
  try {
    const outer = JSON.parse(bytesToString(data)) as { payload?: unknown, sig?: unknown }
    if (typeof outer.payload !== 'string' || typeof outer.sig !== 'string') throw new Error('no payload or signature')
    text = outer.payload
    sig = base64url.baseDecode(outer.sig)
    payload = JSON.parse(text) as PresencePayload
  } catch (err) {
    throw new SyncProtocolError('Malformed presence message', undefined, { cause: err })
  }
  const { stream, did, peer, at } = payload ?? {}
  if (typeof stream !== 'string' || typeof did !== 'string' || typeof peer !== 'string' || typeof at !== 'number' || !Number.isFinite(at) || !('state' in payload)) {
    throw new SyncProtocolError('Malformed presence message: stream, did, peer, at and state are required')
  }
  if (stream !== expected.stream || peer !== expected.peer) {
    throw new SyncProtocolError('A presence message names another stream or sender than the one it came on', { stream, peer })
  }
  stateText(payload.state)
  const key = keyFromDidKey(did)
  if (key.type !== 'ed25519') throw new WrongControllerError('Presence is signed by an Ed25519 did:key', { did })
  if (!await verifyEd25519(key.publicKey, bytesFromString(text), sig)) throw new InvalidSignatureError('The presence signature does not verify', { did })
  return payload
}

/** Whether a presence sent at `at` still counts at `now` (and is not dated far ahead). */
export const isCurrent = (at: number, now: number): boolean => at > now - PRESENCE_TTL_MS && at <= now + PRESENCE_CLOCK_SKEW_MS

export interface PresenceInit {
  libp2p: Libp2p<{ pubsub: GossipSub }>
  score: PeerScore
  log: Logger
  /** Signs this node's presence (a browser's device key). Without one the node only passes presence on (a server peer). */
  signer?: PresenceSigner
  now?: () => number
}

export interface Presence {
  /**
   * Sets this node's presence on a stream (null: leaves it) and sends it to the stream's watchers,
   * again every PRESENCE_REFRESH_MS while set. RateLimitedError past PRESENCE_PER_SECOND,
   * OversizeError past MAX_PRESENCE_STATE_BYTES, NoSignerError on a node without a key.
   */
  set: (stream: string, state: unknown) => Promise<void>
  /** Who else is present on the stream now; watches it from now on (joins its topic). */
  peers: (stream: string) => PresencePeer[]
  /** Streams whose topic this node has joined. */
  watching: () => string[]
  stop: () => void
}

export function startPresence (init: PresenceInit): Presence {
  const { libp2p, score, log, signer } = init
  const now = init.now ?? Date.now
  const pubsub = libp2p.services.pubsub
  const self = libp2p.peerId.toString()
  const relay = signer == null
  const max = relay ? MAX_RELAYED_PRESENCE_STREAMS : MAX_PRESENCE_STREAMS
  /** Joined streams, least recently used first (a Map keeps insertion order). */
  const watched = new Map<string, true>()
  /** Others' presence by stream, then by sender peer. */
  const present = new Map<string, Map<string, PresencePayload>>()
  /** This node's own state by stream. */
  const own = new Map<string, unknown>()

  const validate = async (source: PeerId, message: Message): Promise<TopicValidatorResult> => {
    if (message.type !== 'signed') return TopicValidatorResult.Reject
    const stream = message.topic.slice(PRESENCE_TOPIC_PREFIX.length)
    const sender = message.from.toString()
    let payload: PresencePayload
    try {
      payload = await openPresence(message.data, { stream, peer: sender })
    } catch (err) {
      score.penalize(source.toString(), 'malformed-message', `presence: ${(err as Error).message}`)
      return TopicValidatorResult.Reject
    }
    // Late (a slow relay) or early (a clock ahead): not forged, just not shown.
    if (!isCurrent(payload.at, now())) return TopicValidatorResult.Ignore
    if (!score.tryAdmit(sender, 'presence')) {
      // A relay checks the same rate, so passes on no more than this: only the sender is to blame.
      if (source.equals(message.from)) score.penalize(sender, 'rate-limit', `presence over ${PRESENCE_PER_SECOND}/s`)
      return TopicValidatorResult.Ignore
    }
    if (!relay && watched.has(stream)) remember(stream, payload)
    return TopicValidatorResult.Accept
  }

  const remember = (stream: string, payload: PresencePayload): void => {
    let peers = present.get(stream)
    if (peers == null) present.set(stream, peers = new Map())
    const before = peers.get(payload.peer)
    if (before != null && before.at > payload.at) return
    if (payload.state === null) peers.delete(payload.peer)
    else peers.set(payload.peer, payload)
  }

  const join = (stream: string): void => {
    if (watched.has(stream)) {
      watched.delete(stream)
      watched.set(stream, true)
      return
    }
    if (watched.size >= max) {
      const oldest = [...watched.keys()].find((s) => !own.has(s))
      if (oldest == null) throw new RateLimitedError(`Presence is set on ${max} streams already`, { max })
      leave(oldest)
    }
    watched.set(stream, true)
    const topic = presenceTopic(stream)
    pubsub.topicValidators.set(topic, validate)
    pubsub.subscribe(topic)
  }

  const leave = (stream: string): void => {
    watched.delete(stream)
    present.delete(stream)
    const topic = presenceTopic(stream)
    pubsub.unsubscribe(topic)
    pubsub.topicValidators.delete(topic)
  }

  const checkedStream = (stream: string): string => StreamID.fromString(stream).toString()

  const publish = async (stream: string, state: unknown): Promise<void> => {
    if (signer == null) return
    const data = await signPresence({ stream, did: signer.id, peer: self, at: now(), state }, signer)
    await pubsub.publish(presenceTopic(stream), data)
  }

  // A server peer joins the presence topics its peers join, and leaves those nobody is on.
  const onSubscriptions = (event: CustomEvent<SubscriptionChangeData>): void => {
    for (const { topic, subscribe } of event.detail.subscriptions) {
      if (!topic.startsWith(PRESENCE_TOPIC_PREFIX)) continue
      const stream = topic.slice(PRESENCE_TOPIC_PREFIX.length)
      if (subscribe && !watched.has(stream) && watched.size < max) {
        try {
          // Only the StreamID's own spelling: browsers join that topic, so another names no one.
          if (checkedStream(stream) === stream) join(stream)
        } catch (err) {
          log('not passing presence on for topic %s: %s', topic, (err as Error).message)
        }
      }
      if (!subscribe && watched.has(stream) && pubsub.getSubscribers(topic).length === 0) leave(stream)
    }
  }
  if (relay) pubsub.addEventListener('subscription-change', onSubscriptions)

  const timer = setInterval(() => {
    for (const [stream, state] of own) {
      publish(stream, state).catch((err: unknown) => { log('could not send presence on %s: %s', stream, (err as Error).message) })
    }
    if (relay) for (const stream of [...watched.keys()]) if (pubsub.getSubscribers(presenceTopic(stream)).length === 0) leave(stream)
  }, PRESENCE_REFRESH_MS)

  return {
    async set (stream, state) {
      if (signer == null) throw new NoSignerError('This node has no key to sign presence with')
      const id = checkedStream(stream)
      stateText(state)
      if (!score.tryAdmit(self, 'presence')) {
        throw new RateLimitedError(`At most ${PRESENCE_PER_SECOND} presence updates a second`, { kind: 'presence', perSecond: PRESENCE_PER_SECOND })
      }
      join(id)
      if (state === null) own.delete(id)
      else own.set(id, state)
      await publish(id, state)
    },
    peers (stream) {
      const id = checkedStream(stream)
      join(id)
      const peers = present.get(id)
      if (peers == null) return []
      const at = now()
      for (const [peer, payload] of peers) if (!isCurrent(payload.at, at)) peers.delete(peer)
      return [...peers.values()].map(({ did, peer, state, at }) => ({ did, peer, state, at })).sort((a, b) => a.peer.localeCompare(b.peer))
    },
    watching: () => [...watched.keys()],
    stop () {
      clearInterval(timer)
      if (relay) pubsub.removeEventListener('subscription-change', onSubscriptions)
      for (const stream of [...watched.keys()]) leave(stream)
      own.clear()
    }
  }
}
