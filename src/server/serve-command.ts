/**
 * `kiln serve`: runs the server peer until SIGINT/SIGTERM. Flags win over environment variables,
 * which win over a JSON config file (`--config`, KILN_CONFIG), which wins over defaults. When
 * ready it prints one JSON line on stdout (tests and the browser e2e parse it):
 * `{"ready":true,"peerId":…,"multiaddrs":[…],"http":…}`.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { IndexDefinition } from '../api/types.js'
import { anchoringOf, trustedChains, type AnchorFlags } from '../anchors/anchor-options.js'
import { InvalidInputError } from '../errors.js'
import { openDiskBlocks } from '../files/disk-blocks.js'
import { PINS_FILE, filePins } from '../files/file-pins.js'
import { createFileStore } from '../files/file-store.js'
import { DEFAULT_GC_GRACE_MS, DEFAULT_GC_INTERVAL_MS, DEFAULT_MAX_FILE_BYTES, FILES_DIR } from '../files/constants.js'
import type { StreamNode } from '../node/stream-node.js'
import { parseInterest } from '../sync/interests.js'
import { parseMultiaddr } from '../sync/bootstrap.js'
import { DEFAULT_TOPIC } from '../sync/constants.js'
import { parseIndexSpec } from './index-spec.js'
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from './http-api.js'
import { startServerPeer } from './server-peer.js'
import { parseBytes, parseDuration } from './serve-units.js'
import { DEFAULT_HOST, DEFAULT_HTTP_PORT, DEFAULT_PORT, DEFAULT_TLS_PORT } from './serve-usage.js'

export interface ServeValues extends AnchorFlags {
  config?: string
  port?: string
  host?: string
  listen?: string[]
  'http-port'?: string
  bootstrap?: string[]
  interest?: string[]
  index?: string[]
  topic?: string
  'tls-cert'?: string
  'tls-key'?: string
  'tls-port'?: string
  'file-limit'?: string
  'file-quota'?: string
  'gc-interval'?: string
  'gc-grace'?: string
  'http-max-header-bytes'?: string
  'http-headers-timeout'?: string
  'http-request-timeout'?: string
  'http-max-connections'?: string
}

export interface ServeOptions {
  listen: string[]
  httpHost: string
  httpPort: number
  bootstrap: string[]
  interests: ReturnType<typeof parseInterest>[]
  /** Field indexes declared at start (`--index <modelId>:<field>[+<field>…]`); relation fields need none. */
  indexes: IndexDefinition[]
  topic: string
  tls?: { cert: string, key: string }
  /** Anchoring on a chain by itself (`--anchor-chain` with `--eth-rpc` and a funded key). */
  anchoring?: ReturnType<typeof anchoringOf>
  /** The largest file added or fetched (bytes), and the bytes of file blocks kept at most (no quota when absent). */
  files: { maxFileBytes: number, quotaBytes?: number }
  /** Garbage collection of files: how often (0: never) and how old a block must be to go (ms). */
  gc: { intervalMs: number, graceMs: number }
  /** What one HTTP client may hold of the server (`--http-max-header-bytes`, `--http-headers-timeout`, …). */
  httpLimits: HttpLimits
}

/** A config file holds the flags' values under the flags' names, e.g. `{"port": 4010, "bootstrap": ["/ip4/…"]}`. */
const CONFIG_KEYS = ['port', 'host', 'listen', 'http-port', 'bootstrap', 'interest', 'index', 'topic', 'tls-cert', 'tls-key', 'tls-port', 'file-limit', 'file-quota', 'gc-interval', 'gc-grace', 'anchor-chain', 'anchor-key-file', 'anchor-contract', 'anchor-interval',
  'http-max-header-bytes', 'http-headers-timeout', 'http-request-timeout', 'http-max-connections'] as const
const LIST_KEYS = new Set(['listen', 'bootstrap', 'interest', 'index'])

export function serveOptions (flags: ServeValues, env: NodeJS.ProcessEnv = process.env): ServeOptions {
  const file = readConfig(flags.config ?? nonEmpty(env.KILN_CONFIG))
  const list = (text: string | undefined): string[] | undefined => text?.split(',').map((s) => s.trim()).filter((s) => s !== '')
  const fromEnv: ServeValues = {
    host: nonEmpty(env.KILN_HOST),
    port: nonEmpty(env.KILN_PORT),
    'http-port': nonEmpty(env.KILN_HTTP_PORT),
    bootstrap: list(nonEmpty(env.KILN_BOOTSTRAP)),
    index: list(nonEmpty(env.KILN_INDEX)),
    topic: nonEmpty(env.KILN_TOPIC),
    'tls-cert': nonEmpty(env.KILN_TLS_CERT),
    'tls-key': nonEmpty(env.KILN_TLS_KEY),
    'tls-port': nonEmpty(env.KILN_TLS_PORT),
    'anchor-chain': nonEmpty(env.KILN_ANCHOR_CHAIN),
    'file-limit': nonEmpty(env.KILN_FILE_LIMIT),
    'file-quota': nonEmpty(env.KILN_FILE_QUOTA),
    'gc-interval': nonEmpty(env.KILN_GC_INTERVAL),
    'gc-grace': nonEmpty(env.KILN_GC_GRACE),
    'http-max-header-bytes': nonEmpty(env.KILN_HTTP_MAX_HEADER_BYTES),
    'http-headers-timeout': nonEmpty(env.KILN_HTTP_HEADERS_TIMEOUT),
    'http-request-timeout': nonEmpty(env.KILN_HTTP_REQUEST_TIMEOUT),
    'http-max-connections': nonEmpty(env.KILN_HTTP_MAX_CONNECTIONS)
  }
  const values = { ...file, ...defined(fromEnv), ...defined(flags) }
  const host = values.host ?? DEFAULT_HOST
  const ip = host.includes(':') ? 'ip6' : 'ip4'
  const tls = readTls(values['tls-cert'], values['tls-key'])
  const listen = values.listen != null && values.listen.length > 0
    ? values.listen
    : [
        `/${ip}/${host}/tcp/${parsePort(values.port, DEFAULT_PORT, '--port')}/ws`,
        ...(tls == null ? [] : [`/${ip}/${host}/tcp/${parsePort(values['tls-port'], DEFAULT_TLS_PORT, '--tls-port')}/tls/ws`])
      ]
  for (const addr of listen) parseMultiaddr(addr)
  if (tls == null && listen.some((addr) => addr.endsWith('/tls/ws') || addr.endsWith('/wss'))) {
    throw new InvalidInputError('A /tls/ws listen address needs --tls-cert and --tls-key')
  }
  const bootstrap = values.bootstrap ?? []
  for (const addr of bootstrap) parseMultiaddr(addr)
  const options: ServeOptions = {
    listen,
    httpHost: host,
    httpPort: parsePort(values['http-port'], DEFAULT_HTTP_PORT, '--http-port'),
    bootstrap,
    interests: (values.interest ?? ['all']).map(parseInterest),
    indexes: (values.index ?? []).map(parseIndexSpec),
    topic: values.topic ?? DEFAULT_TOPIC,
    files: { maxFileBytes: values['file-limit'] == null ? DEFAULT_MAX_FILE_BYTES : parseBytes(values['file-limit'], '--file-limit') },
    gc: {
      intervalMs: values['gc-interval'] == null ? DEFAULT_GC_INTERVAL_MS : parseDuration(values['gc-interval'], '--gc-interval'),
      graceMs: values['gc-grace'] == null ? DEFAULT_GC_GRACE_MS : parseDuration(values['gc-grace'], '--gc-grace')
    },
    httpLimits: httpLimitsOf(values)
  }
  if (options.files.maxFileBytes === 0) throw new InvalidInputError('--file-limit must be more than 0 bytes')
  if (values['file-quota'] != null) options.files.quotaBytes = parseBytes(values['file-quota'], '--file-quota')
  if (tls != null) options.tls = tls
  const anchoring = anchoringOf(values, trustedChains(values, env), env)
  if (anchoring != null) options.anchoring = anchoring
  return options
}

/** Runs the server peer on `node` until a shutdown signal; returns the exit code. */
export async function serve (node: StreamNode, dir: string, values: ServeValues): Promise<number> {
  const options = serveOptions(values)
  const disk = await openDiskBlocks({ path: join(dir, FILES_DIR), quotaBytes: options.files.quotaBytes })
  let peer
  try {
    peer = await startServerPeer({ node, dir, ...options, files: createFileStore({ blocks: disk.blocks, maxFileBytes: options.files.maxFileBytes }), keptFiles: filePins(join(dir, PINS_FILE)).roots })
  } catch (err) {
    await disk.close()
    throw err
  }
  // Handlers stay until the end: a second signal (Ctrl-C twice, or a process group signalled after
  // kiln itself) must not kill a shutdown in progress.
  let onSignal: (signal: string) => void = () => {}
  const stopped = new Promise<string>((resolve) => { onSignal = resolve })
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  process.stdout.write(JSON.stringify({ ready: true, peerId: peer.peerId, multiaddrs: peer.multiaddrs(), http: peer.http, dir }) + '\n')
  const signal = await stopped
  try {
    await peer.stop()
    await disk.close()
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
  process.stdout.write(JSON.stringify({ stopped: true, signal }) + '\n')
  return 0
}

function httpLimitsOf (values: ServeValues): HttpLimits {
  const positive = (value: number, flag: string): number => {
    if (value < 1) throw new InvalidInputError(`${flag} must be more than 0`)
    return value
  }
  const bytes = values['http-max-header-bytes']
  const headers = values['http-headers-timeout']
  const request = values['http-request-timeout']
  const connections = values['http-max-connections']
  const limits: HttpLimits = {
    ...DEFAULT_HTTP_LIMITS,
    maxHeaderBytes: bytes == null ? DEFAULT_HTTP_LIMITS.maxHeaderBytes : positive(parseBytes(bytes, '--http-max-header-bytes'), '--http-max-header-bytes'),
    headersTimeoutMs: headers == null ? DEFAULT_HTTP_LIMITS.headersTimeoutMs : positive(parseDuration(headers, '--http-headers-timeout'), '--http-headers-timeout'),
    requestTimeoutMs: request == null ? DEFAULT_HTTP_LIMITS.requestTimeoutMs : positive(parseDuration(request, '--http-request-timeout'), '--http-request-timeout'),
    maxConnections: connections == null ? DEFAULT_HTTP_LIMITS.maxConnections : parseCount(connections, '--http-max-connections')
  }
  // The headers are part of the request: a shorter request time shortens their time too (Node refuses the other way round).
  limits.headersTimeoutMs = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs)
  return limits
}

function parseCount (text: string, flag: string): number {
  const count = Number(text)
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(count) || count < 1) throw new InvalidInputError(`${flag} must be a whole number above 0, not "${text}"`)
  return count
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

function defined (values: ServeValues): ServeValues {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v != null)) as ServeValues
}

/** Reads a JSON config file into flag values; unknown keys and wrong types are refused by name. */
function readConfig (path: string | undefined): ServeValues {
  if (path == null) return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new InvalidInputError(`Cannot read the config file ${path}: ${(err as Error).message}`, undefined, { cause: err })
  }
  if (parsed == null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InvalidInputError(`The config file ${path} must hold a JSON object`)
  const values: Record<string, string | string[]> = {}
  for (const [key, value] of Object.entries(parsed)) {
    if (!(CONFIG_KEYS as readonly string[]).includes(key)) throw new InvalidInputError(`Unknown key "${key}" in ${path}; known: ${CONFIG_KEYS.join(', ')}`)
    if (LIST_KEYS.has(key)) {
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new InvalidInputError(`"${key}" in ${path} must be a list of strings`)
      values[key] = value
    } else {
      if (typeof value !== 'string' && typeof value !== 'number') throw new InvalidInputError(`"${key}" in ${path} must be a string or a number`)
      values[key] = String(value)
    }
  }
  return values as ServeValues
}

function readTls (certPath: string | undefined, keyPath: string | undefined): { cert: string, key: string } | undefined {
  if (certPath == null && keyPath == null) return undefined
  if (certPath == null || keyPath == null) throw new InvalidInputError('Secure WebSockets need both --tls-cert and --tls-key (PEM files)')
  const read = (path: string, what: string): string => {
    try {
      return readFileSync(path, 'utf8')
    } catch (err) {
      throw new InvalidInputError(`Cannot read the TLS ${what} ${path}: ${(err as Error).message}`, undefined, { cause: err })
    }
  }
  return { cert: read(certPath, 'certificate'), key: read(keyPath, 'key') }
}
