/**
 * What a node wants from the network. Each interest is a StreamQuery (an empty one means every
 * stream) or a list of stream ids; a stream is wanted when any interest matches it. Recon runs
 * only for every-stream interests today; narrower ones could become EventId ranges (sep=model,
 * controller), since recon-index.ts orders keys that way.
 */
import { StreamID } from '../ids/index.js'
import { InvalidInputError } from '../errors.js'
import type { StreamNode } from '../node/stream-node.js'
import type { StreamQuery } from '../store/store.js'
import { allHeads } from './local-streams.js'
import type { UpdateMessage } from './messages.js'

export interface SyncInterest extends StreamQuery {
  /** Only these streams (StreamID strings); other fields are ignored when set. */
  streams?: string[]
}

export const ALL_STREAMS: SyncInterest = {}

/** A stream as a peer lists it (what heads-sync compares). */
export interface HeadsEntry {
  id: string
  tips: string[]
  controller: string
  model?: string
  /** Present in answers about named streams, so family/schema interests can be checked. */
  family?: string
  schema?: string
  /** When the peer accepted each commit (ms by CID), in answers that asked for `times`. */
  received?: Record<string, number>
}

const QUERY_FIELDS = ['controller', 'model', 'family', 'schema'] as const

export function matchesInterests (interests: SyncInterest[], entry: HeadsEntry): boolean {
  return interests.some((interest) => interest.streams != null
    ? interest.streams.includes(entry.id)
    : QUERY_FIELDS.every((field) => interest[field] == null || entry[field] === interest[field]))
}

/**
 * Whether an UPDATE is wanted, judging from the message alone: 'ask' when only the stream's
 * heads entry (its controller, family…) can tell, which costs one request to the sender.
 */
export function wantsUpdate (interests: SyncInterest[], update: UpdateMessage): 'yes' | 'no' | 'ask' {
  let undecided = false
  for (const interest of interests) {
    if (interest.streams != null) {
      if (interest.streams.includes(update.stream)) return 'yes'
      continue
    }
    if (interest.model != null && interest.model !== update.model) continue
    if (interest.controller == null && interest.family == null && interest.schema == null) return 'yes'
    undecided = true
  }
  return undecided ? 'ask' : 'no'
}

/**
 * What a device wants: the streams of the accounts it signs for, plus every other stream it holds
 * (loaded from a peer on demand, or written before a sign-out). Not the rest of the network.
 */
export async function ownAndHeldInterests (node: StreamNode, controllers: string[]): Promise<SyncInterest[]> {
  const own = new Set(controllers)
  const held: string[] = []
  for await (const stream of allHeads(node)) if (!own.has(stream.controller)) held.push(stream.id)
  const interests: SyncInterest[] = [...own].map((controller) => ({ controller }))
  if (held.length > 0) interests.push({ streams: held })
  return interests
}

/**
 * Parses the CLI/env form: `all`, `model:<id>`, `controller:<did>`, `family:<f>`, `schema:<commitId>`,
 * `stream:<id>[,<id>…]`.
 */
export function parseInterest (text: string): SyncInterest {
  if (text === 'all') return {}
  const colon = text.indexOf(':')
  const kind = colon < 0 ? text : text.slice(0, colon)
  const value = colon < 0 ? '' : text.slice(colon + 1)
  if (value === '') throw new InvalidInputError(`Interest "${text}" needs a value: all, model:<id>, controller:<did>, family:<f>, schema:<commitId> or stream:<id>`)
  switch (kind) {
    case 'model': return { model: streamId(value) }
    case 'controller': return { controller: value }
    case 'family': return { family: value }
    case 'schema': return { schema: value }
    case 'stream': return { streams: value.split(',').map((id) => streamId(id.trim())) }
    default: throw new InvalidInputError(`Unknown interest kind "${kind}": use all, model, controller, family, schema or stream`)
  }
}

function streamId (text: string): string {
  try {
    return StreamID.fromString(text).toString()
  } catch (err) {
    throw new InvalidInputError(`Not a StreamID: ${text}`, undefined, { cause: err })
  }
}
