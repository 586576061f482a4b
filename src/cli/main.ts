// Ed25519 and Recon's key hashes on node:crypto rather than WebCrypto and JS (faster in Node; the same results).
import '../identity/ed25519-node.js'
import '../sync/sha256a-node.js'
import { parseArgs } from 'node:util'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { readFile, writeFile } from 'node:fs/promises'
import type { IndexStatus, StreamQuery } from '../api/types.js'
import { KilnError, InvalidInputError } from '../errors.js'
import { createStreamNode, type StreamNode } from '../node/stream-node.js'
import { createDiskStore } from '../store/disk-store.js'
import { createLogger } from '../logger.js'
import { withoutUndefined } from '../commits/genesis.js'
import { initIdentity, loadIdentity } from './identity-file.js'
import { INDEX_SPEC_USAGE, parseIndexSpec } from '../server/index-spec.js'
import { SERVE_USAGE } from '../server/serve-usage.js'
import { FILE_USAGE, collectFileGarbage, runFile } from './file-command.js'
import { trustedChains } from '../anchors/anchor-options.js'

const USAGE = `kiln — a Ceramic-compatible stream node

Usage: kiln <command> [options]           (JSON on stdout; errors on stderr, non-zero exit)
  init                                    create the data dir and a did:key identity
  did                                     print this node's DID
  create --content '<json>'               create a stream; also --type tile|model|MID, --model <id>,
         [--deterministic] [--family f] [--tags a,b] [--schema <commitId>] [--unique a,b]
  update <id> --content '<json>' | --patch '<json-patch>'   [--expected-tip <cid>]
         Tile header changes: [--family f] [--tags a,b] [--schema <commitId>] [--controller <did>]
  show <id|commitId>                      the stream's state (id, content, metadata, log)
  history <id>                            every version, oldest first
  query [--controller d] [--model m] [--family f] [--schema s] [--limit n] [--cursor c]
        [--where '<json>'] [--sort '<json>'] [--count]
                                          streams matching every field, a page at a time; with --model, --where
                                          filters its documents by content ('{"tag":"a","n":{"greaterThan":2}}')
                                          and --sort orders them ('{"n":"desc"}'), from an index that holds the
                                          fields; --count prints { count } instead of a page
  index <modelId>:<field>[+<field>…]      declare a field index of a Model's documents (built over what is held)
  indexes [--model m]                     the declared and relation indexes, with whether each is built
  export <id> [--out file.car]            the stream's log as a CAR file (stdout by default)
  import <file.car | ->                   verify and store every commit in a CAR file (any root, every branch)
  pin <id> | unpin <id> | stats
${FILE_USAGE}
${SERVE_USAGE}

Data dir: --dir, else $KILN_HOME, else ~/.kiln.  Identity: $KILN_SEED (64 hex chars), else <dir>/identity.json.
Anchors: time events are verified against the chains given by --eth-rpc <chainId>=<url> (repeatable;
$KILN_ETH_RPC as a comma list), final after --anchor-confirmations blocks (default 12); others are refused.`

/** How often `kiln index` looks whether the index it declared is built. */
const INDEX_POLL_MS = 50

const OPTIONS = {
  dir: { type: 'string' },
  content: { type: 'string' },
  patch: { type: 'string' },
  type: { type: 'string' },
  model: { type: 'string' },
  deterministic: { type: 'boolean' },
  family: { type: 'string' },
  tags: { type: 'string' },
  schema: { type: 'string' },
  unique: { type: 'string' },
  controller: { type: 'string' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
  where: { type: 'string' },
  sort: { type: 'string' },
  count: { type: 'boolean' },
  out: { type: 'string' },
  'expected-tip': { type: 'string' },
  // serve
  port: { type: 'string' },
  host: { type: 'string' },
  listen: { type: 'string', multiple: true },
  'http-port': { type: 'string' },
  bootstrap: { type: 'string', multiple: true },
  interest: { type: 'string', multiple: true },
  index: { type: 'string', multiple: true },
  topic: { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-port': { type: 'string' },
  config: { type: 'string' },
  'eth-rpc': { type: 'string', multiple: true },
  'anchor-confirmations': { type: 'string' },
  'anchor-chain': { type: 'string' },
  'anchor-key-file': { type: 'string' },
  'anchor-contract': { type: 'string' },
  'anchor-interval': { type: 'string' },
  'file-limit': { type: 'string' },
  'file-quota': { type: 'string' },
  'gc-interval': { type: 'string' },
  'gc-grace': { type: 'string' },
  'http-max-header-bytes': { type: 'string' },
  'http-headers-timeout': { type: 'string' },
  'http-request-timeout': { type: 'string' },
  'http-max-connections': { type: 'string' },
  help: { type: 'boolean', short: 'h' }
} as const

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS, allowPositionals: true }>>['values']

export async function main (argv: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true })
  } catch (err) {
    return fail(new InvalidInputError((err as Error).message), 2)
  }
  const { values, positionals: [command, ...args] } = parsed
  if (command == null || values.help === true) {
    process.stdout.write(USAGE + '\n')
    return command == null && values.help !== true ? 2 : 0
  }
  const dir = resolve(values.dir ?? process.env.KILN_HOME ?? join(homedir(), '.kiln'))
  try {
    if (command === 'init') return print(await initIdentity(dir).then((r) => ({ dir, ...r })))
    if (command === 'file' && args[0] === 'gc') {
      // Collection reads which files the held documents name: it needs the stream store.
      const node = await openNode(dir, values)
      try {
        return print(await collectFileGarbage(node, dir, values['gc-grace']))
      } finally {
        await node.close()
      }
    }
    if (command === 'file') {
      // Adding and getting need neither the stream store nor an identity.
      const result = await runFile(dir, args, values.out)
      return result == null ? 0 : print(result)
    }
    const node = await openNode(dir, values)
    try {
      // Loaded on demand: the other commands need neither libp2p nor Node 22.
      if (command === 'serve') return await (await import('../server/serve-command.js')).serve(node, dir, values)
      return await run(node, command, args, values)
    } finally {
      await node.close()
    }
  } catch (err) {
    return fail(err)
  }
}

async function openNode (dir: string, values: Values): Promise<StreamNode> {
  const signer = await loadIdentity(dir)
  const chains = trustedChains(values)
  // viem loads only for a node that checks anchors.
  const anchorValidator = Object.keys(chains).length === 0 ? undefined : (await import('../anchors/evm-anchors.js')).evmAnchorValidator({ chains })
  // Silent unless DEBUG names them (e.g. DEBUG=kiln:*): stdout stays the command's JSON.
  const store = await createDiskStore({ path: join(dir, 'store'), log: createLogger('kiln:store:disk') })
  return createStreamNode({ store, signer, anchorValidator, log: createLogger('kiln:node') })
}

async function run (node: StreamNode, command: string, args: string[], values: Values): Promise<number> {
  switch (command) {
    case 'did':
      if (node.controller == null) throw new InvalidInputError('No identity: run `kiln init` or set KILN_SEED')
      return print({ did: node.controller })
    case 'create':
      return print(await node.create({
        type: (values.type ?? 'tile') as 'tile',
        content: values.content == null ? undefined : json(values.content, '--content'),
        model: values.model,
        deterministic: values.deterministic,
        family: values.family,
        tags: list(values.tags),
        schema: values.schema,
        unique: list(values.unique)
      }))
    case 'update': {
      const id = required(args[0], 'update <id>')
      const header = withoutUndefined({ family: values.family, tags: list(values.tags), schema: values.schema, controllers: values.controller == null ? undefined : [values.controller] })
      const headerChanges = Object.keys(header).length > 0
      if (values.content == null && values.patch == null && !headerChanges) throw new InvalidInputError('update needs --content, --patch or a header change')
      return print(await node.update(id, {
        content: values.content == null ? undefined : json(values.content, '--content'),
        patch: values.patch == null ? undefined : json(values.patch, '--patch') as never,
        header: headerChanges ? header : undefined,
        expectedTip: values['expected-tip']
      }))
    }
    case 'show':
      return print(await node.load(required(args[0], 'show <id|commitId>')))
    case 'history':
      return print(await node.history(required(args[0], 'history <id>')))
    case 'query': {
      const query = withoutUndefined({
        controller: values.controller,
        model: values.model,
        family: values.family,
        schema: values.schema,
        where: values.where == null ? undefined : jsonObject(values.where, '--where') as StreamQuery['where'],
        sort: values.sort == null ? undefined : jsonObject(values.sort, '--sort') as StreamQuery['sort']
      })
      if (values.count === true) return print({ count: await node.count(query) })
      return print(await node.query(query, { limit: values.limit == null ? undefined : pageLimit(values.limit), cursor: values.cursor }))
    }
    case 'index': {
      const { model, fields } = parseIndexSpec(required(args[0], `index ${INDEX_SPEC_USAGE}`))
      await node.indexModel(model, [fields])
      // Documents held already are indexed in the background; this process ends when it prints, so it waits.
      return print(await builtIndexes(node, model))
    }
    case 'indexes':
      return print(await node.indexes(values.model))
    case 'export': {
      const car = await node.exportCar(required(args[0], 'export <id>'))
      if (values.out != null) {
        await writeFile(values.out, car)
        return print({ out: values.out, bytes: car.length })
      }
      process.stdout.write(car)
      return 0
    }
    case 'import': {
      const file = required(args[0], 'import <file.car | ->')
      const bytes = file === '-' ? await readStdin() : new Uint8Array(await readFile(file))
      return print(await node.importCar(bytes))
    }
    case 'pin':
      await node.pin(required(args[0], 'pin <id>'))
      return print({ pinned: args[0] })
    case 'unpin':
      await node.unpin(required(args[0], 'unpin <id>'))
      return print({ unpinned: args[0] })
    case 'stats':
      return print(await node.stats())
    default:
      throw new InvalidInputError(`Unknown command "${command}"; see kiln --help`)
  }
}

async function builtIndexes (node: StreamNode, model: string): Promise<IndexStatus[]> {
  for (;;) {
    const statuses = await node.indexes(model)
    if (statuses.every((s) => s.state === 'ready')) return statuses
    await new Promise((resolve) => setTimeout(resolve, INDEX_POLL_MS))
  }
}

function print (value: unknown): number {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n')
  return 0
}

function fail (err: unknown, exitCode = 1): number {
  const error = err instanceof KilnError
    ? { code: err.code, name: err.name, message: err.message }
    : { code: 'ERR_UNEXPECTED', name: (err as Error)?.name ?? 'Error', message: (err as Error)?.message ?? String(err) }
  process.stderr.write(JSON.stringify({ error }) + '\n')
  return exitCode
}

function json (text: string, flag: string): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new InvalidInputError(`${flag} is not valid JSON: ${(err as Error).message}`)
  }
}

function jsonObject (text: string, flag: string): Record<string, unknown> {
  const value = json(text, flag)
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InvalidInputError(`${flag} must be a JSON object`)
  return value as Record<string, unknown>
}

function pageLimit (text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new InvalidInputError(`--limit must be a whole number from 1, not "${text}"`)
  return Number(text)
}

function list (text: string | undefined): string[] | undefined {
  return text == null ? undefined : text.split(',').map((s) => s.trim()).filter((s) => s !== '')
}

function required (value: string | undefined, usage: string): string {
  if (value == null || value === '') throw new InvalidInputError(`Missing argument: kiln ${usage}`)
  return value
}

async function readStdin (): Promise<Uint8Array> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return new Uint8Array(Buffer.concat(chunks))
}

process.exitCode = await main(process.argv.slice(2))
