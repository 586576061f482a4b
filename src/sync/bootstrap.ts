/**
 * Keeps connections to the configured bootstrap peers (other server peers): dials each address,
 * and redials with exponential backoff after a failure or a disconnect. Only explicit addresses
 * are dialed; there is no default list (style.md §11).
 */
import type { Libp2p, Logger, PeerId } from '@libp2p/interface'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { InvalidInputError } from '../errors.js'
import { BOOTSTRAP_BACKOFF_MAX_MS, BOOTSTRAP_BACKOFF_MIN_MS } from './constants.js'

export interface Bootstrap {
  /** Whether `peer` answered at one of the configured addresses. */
  has: (peer: string) => boolean
  stop: () => void
}

export function parseMultiaddr (text: string): Multiaddr {
  try {
    return multiaddr(text)
  } catch (err) {
    throw new InvalidInputError(`Not a multiaddr: ${text}`, undefined, { cause: err })
  }
}

export function startBootstrap (libp2p: Libp2p, addrs: string[], log: Logger): Bootstrap {
  let stopped = false
  const timers = new Set<ReturnType<typeof setTimeout>>()
  const targets = addrs.map((text) => ({ addr: parseMultiaddr(text), backoff: BOOTSTRAP_BACKOFF_MIN_MS, peer: undefined as string | undefined, dialing: false }))

  const schedule = (target: typeof targets[number], delay: number): void => {
    if (stopped) return
    const timer = setTimeout(() => { timers.delete(timer); void dial(target) }, delay)
    timers.add(timer)
  }

  async function dial (target: typeof targets[number]): Promise<void> {
    if (stopped || target.dialing) return
    target.dialing = true
    try {
      const connection = await libp2p.dial(target.addr)
      target.peer = connection.remotePeer.toString()
      target.backoff = BOOTSTRAP_BACKOFF_MIN_MS
      log('connected to bootstrap peer %s', target.addr.toString())
    } catch (err) {
      if (stopped) return
      log('bootstrap dial %s failed (retry in %d ms): %s', target.addr.toString(), target.backoff, (err as Error).message)
      schedule(target, target.backoff)
      target.backoff = Math.min(target.backoff * 2, BOOTSTRAP_BACKOFF_MAX_MS)
    } finally {
      target.dialing = false
    }
  }

  const onDisconnect = (event: CustomEvent<PeerId>): void => {
    const peer = event.detail.toString()
    for (const target of targets) {
      if (target.peer !== peer) continue
      schedule(target, target.backoff)
      target.backoff = Math.min(target.backoff * 2, BOOTSTRAP_BACKOFF_MAX_MS)
    }
  }

  libp2p.addEventListener('peer:disconnect', onDisconnect)
  for (const target of targets) void dial(target)

  return {
    has: (peer) => targets.some((target) => target.peer === peer),
    stop () {
      stopped = true
      libp2p.removeEventListener('peer:disconnect', onDisconnect)
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
    }
  }
}
