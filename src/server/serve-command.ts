/**
 * `kiln serve`: runs the server peer until SIGINT/SIGTERM. Flags win over environment variables,
 * which win over defaults. When ready it prints one JSON line on stdout (tests and the browser e2e
 * parse it): `{"ready":true,"peerId":…,"multiaddrs":[…],"http":…}`.
 */
import { InvalidInputError } from '../errors.js'
import type { StreamNode } from '../node/stream-node.js'
import { parseInterest } from '../sync/interests.js'
import { parseMultiaddr } from '../sync/bootstrap.js'
import { DEFAULT_TOPIC } from '../sync/constants.js'
import { startServerPeer } from './server-peer.js'
import { DEFAULT_HOST, DEFAULT_HTTP_PORT, DEFAULT_PORT } from './serve-usage.js'

export interface ServeValues {
  port?: string
  host?: string
  listen?: string[]
  'http-port'?: string
  bootstrap?: string[]
  interest?: string[]
  topic?: string
}

export interface ServeOptions {
  listen: string[]
  httpHost: string
  httpPort: number
  bootstrap: string[]
  interests: ReturnType<typeof parseInterest>[]
  topic: string
}

export function serveOptions (values: ServeValues, env: NodeJS.ProcessEnv = process.env): ServeOptions {
  const host = values.host ?? nonEmpty(env.KILN_HOST) ?? DEFAULT_HOST
  const port = parsePort(values.port ?? nonEmpty(env.KILN_PORT), DEFAULT_PORT, '--port')
  const listen = values.listen != null && values.listen.length > 0
    ? values.listen
    : [`/${host.includes(':') ? 'ip6' : 'ip4'}/${host}/tcp/${port}/ws`]
  for (const addr of listen) parseMultiaddr(addr)
  const bootstrap = values.bootstrap ?? (nonEmpty(env.KILN_BOOTSTRAP)?.split(',').map((s) => s.trim()).filter((s) => s !== '') ?? [])
  for (const addr of bootstrap) parseMultiaddr(addr)
  return {
    listen,
    httpHost: host,
    httpPort: parsePort(values['http-port'] ?? nonEmpty(env.KILN_HTTP_PORT), DEFAULT_HTTP_PORT, '--http-port'),
    bootstrap,
    interests: (values.interest ?? ['all']).map(parseInterest),
    topic: values.topic ?? nonEmpty(env.KILN_TOPIC) ?? DEFAULT_TOPIC
  }
}

/** Runs the server peer on `node` until a shutdown signal; returns the exit code. */
export async function serve (node: StreamNode, dir: string, values: ServeValues): Promise<number> {
  const options = serveOptions(values)
  const peer = await startServerPeer({ node, dir, ...options })
  // Handlers stay until the end: a Ctrl-C reaches both bin/kiln.js (which forwards it) and this
  // process, and the second copy must not kill a shutdown in progress.
  let onSignal: (signal: string) => void = () => {}
  const stopped = new Promise<string>((resolve) => { onSignal = resolve })
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  process.stdout.write(JSON.stringify({ ready: true, peerId: peer.peerId, multiaddrs: peer.multiaddrs(), http: peer.http, dir }) + '\n')
  const signal = await stopped
  try {
    await peer.stop()
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
  process.stdout.write(JSON.stringify({ stopped: true, signal }) + '\n')
  return 0
}

function parsePort (text: string | undefined, fallback: number, flag: string): number {
  if (text == null) return fallback
  const port = Number(text)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidInputError(`${flag} must be a port number (0-65535), not "${text}"`)
  return port
}

function nonEmpty (text: string | undefined): string | undefined {
  return text == null || text.trim() === '' ? undefined : text.trim()
}
