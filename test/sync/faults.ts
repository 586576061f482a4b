/**
 * Seeded faults on the wire for sync tests. Gossip announcements (through startSync's
 * deliverGossip seam) are dropped, duplicated or delayed, so they arrive out of order; request
 * streams (every Kiln protocol a node opens: blocks, heads, Recon goes through dialProtocol) are
 * delayed before they open or reset mid-exchange, as a lossy link resets a connection.
 */
import type { Libp2p, Stream } from '@libp2p/interface'
import type { Random } from './random.js'

export interface WireFaultRates {
  /** Share of gossip announcements never handled. */
  gossipDrop: number
  /** Share handled twice, the copy after a random delay. */
  gossipDuplicate: number
  /** Share handled after a random delay (up to maxDelayMs): later announcements overtake them. */
  gossipDelay: number
  /** Share of request streams reset by the dialer shortly after they open. */
  streamReset: number
  /** Share of request streams that open only after a random delay. */
  streamDelay: number
  maxDelayMs: number
}

export interface WireFaultCounts {
  gossip: number
  duplicated: number
  dropped: number
  delayed: number
  /** Announcements handled after one received later than them. */
  reordered: number
  streams: number
  streamsReset: number
  streamsDelayed: number
}

export interface WireFaults {
  /** For startSync's deliverGossip (one WireFaults can serve every peer). */
  deliverGossip: (handle: () => void) => void
  /** Makes every protocol stream this libp2p node opens go through the faults. */
  wrapDials: (libp2p: Libp2p) => void
  counts: WireFaultCounts
  /** Faults stop (the wire turns clean) or start again. */
  enabled: boolean
}

export function createWireFaults (random: Random, rates: WireFaultRates): WireFaults {
  const counts: WireFaultCounts = { gossip: 0, duplicated: 0, dropped: 0, delayed: 0, reordered: 0, streams: 0, streamsReset: 0, streamsDelayed: 0 }
  let received = 0
  let newestHandled = 0
  const delay = (): number => 1 + random.int(rates.maxDelayMs)
  const faults: WireFaults = {
    counts,
    enabled: true,
    deliverGossip (handle) {
      counts.gossip++
      const seq = ++received
      const run = (): void => {
        if (seq < newestHandled) counts.reordered++
        newestHandled = Math.max(newestHandled, seq)
        handle()
      }
      if (!faults.enabled) return run()
      const roll = random.next()
      if (roll < rates.gossipDrop) {
        counts.dropped++
      } else if (roll < rates.gossipDrop + rates.gossipDuplicate) {
        counts.duplicated++
        run()
        setTimeout(run, delay())
      } else if (roll < rates.gossipDrop + rates.gossipDuplicate + rates.gossipDelay) {
        counts.delayed++
        setTimeout(run, delay())
      } else {
        run()
      }
    },
    wrapDials (libp2p) {
      const dial = libp2p.dialProtocol.bind(libp2p)
      libp2p.dialProtocol = async (...args: Parameters<Libp2p['dialProtocol']>): Promise<Stream> => {
        counts.streams++
        const roll = faults.enabled ? random.next() : 1
        if (roll < rates.streamDelay) {
          counts.streamsDelayed++
          await new Promise((resolve) => setTimeout(resolve, delay()))
        }
        const stream = await dial(...args)
        if (roll >= rates.streamDelay && roll < rates.streamDelay + rates.streamReset) {
          // Reset while the exchange is under way (within a few ms: with frames sent in 64 KiB writes
          // most exchanges finish in under 10 ms); one that already finished is left alone.
          setTimeout(() => {
            if (stream.status !== 'open') return
            counts.streamsReset++
            stream.abort(new Error('Injected fault: the link reset this stream'))
          }, random.int(4))
        }
        return stream
      }
    }
  }
  return faults
}
