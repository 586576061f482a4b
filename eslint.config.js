// Lint: the promise and error mistakes the type checker lets through, and the import layering
// of src/ (README, "Project layout"). `npm run lint`; `npm test` runs it after the typecheck.
import { defineConfig } from 'eslint/config'
import tseslint from 'typescript-eslint'

// What each folder of src/ may import from the rest of src/ (errors and logger are the two
// modules at src/'s top). `values`: any import. `types`: `import type` only, so none of that
// folder's code is loaded. Anything of src/ not listed is refused; npm packages are allowed,
// except I/O where `noIo` is set. The data flow: ids ← commits ← streams ← node; identity, store
// and sync are ports the node receives; host (browser), server and cli (Node) compose them.
const LAYERS = {
  ids: { values: ['errors'], noIo: true },
  commits: { values: ['ids', 'errors'], noIo: true },
  streams: { values: ['ids', 'commits', 'errors'], types: ['identity'], noIo: true },
  identity: { values: ['ids', 'commits', 'api', 'errors', 'logger'] },
  store: { values: ['ids', 'commits', 'streams', 'api', 'errors', 'logger'] },
  // Private documents' formats: the JWE envelope (jose) and the account key directory.
  private: { values: ['ids', 'commits', 'identity', 'errors'], types: ['api'] },
  node: { values: ['ids', 'commits', 'streams', 'identity', 'store', 'private', 'api', 'errors', 'logger'], noAdapters: true },
  sync: { values: ['ids', 'commits', 'streams', 'identity', 'store', 'node', 'api', 'errors', 'logger'] },
  // Files on IPFS (UnixFS blocks, helia): a port the hosts give a blockstore and a libp2p.
  files: { values: ['api', 'errors', 'logger'] },
  // Anchors on EVM chains: checking Ceramic's proofs over JSON-RPC, and a node's own anchor service.
  anchors: { values: ['ids', 'commits', 'streams', 'errors', 'logger'], types: ['identity', 'node'] },
  // The page contract: it exports types, names and the call table, and imports nothing but
  // types, so any folder above the pure ones may use it without loading more code.
  api: {
    values: [],
    types: ['ids', 'commits', 'streams', 'identity', 'store', 'node', 'sync', 'errors', 'logger'],
    typesOnly: true
  },
  // The standard Models and their helpers: pure data and id arithmetic, for pages and Node, and
  // identity's signature checks (linked accounts' proofs, credentials), which readers run themselves.
  kit: { values: ['ids', 'commits', 'identity', 'errors'], types: ['api', 'streams'] },
  // The page side: the contract, the errors and the kit, nothing of the node.
  client: { values: ['api', 'errors', 'kit'] },
  // kiln/react: hooks over a page's Kiln. Only types of the rest, so its bundle carries none of
  // the core (an app's bundler shares the core between `kiln` and `kiln/react`).
  react: { values: [], types: ['api', 'client', 'errors'] },
  // The browser's composition root: the worker's node, its network and its serving side.
  host: { values: ['ids', 'identity', 'store', 'node', 'private', 'sync', 'files', 'anchors', 'api', 'errors', 'logger'] },
  // The Node composition roots.
  server: { values: ['ids', 'commits', 'streams', 'identity', 'store', 'node', 'sync', 'files', 'anchors', 'api', 'errors', 'logger'] },
  cli: { values: ['ids', 'commits', 'streams', 'identity', 'store', 'node', 'sync', 'files', 'anchors', 'server', 'api', 'errors', 'logger'] },
  // The package's Node entries (kiln/node, kiln/server): re-exports of what a Node user composes.
  entry: { values: ['ids', 'commits', 'streams', 'identity', 'store', 'node', 'private', 'sync', 'files', 'anchors', 'server', 'api', 'errors', 'logger', 'kit'] }
}

// The entries in worker/ start the host and hold no logic of their own.
const WORKER = { values: ['host', 'api'] }

// Edges against the flow, allowed file by file: [file, folder whose rules apply, what is added].
const EXCEPTIONS = [
  // The error wire is part of the contract (how typed errors cross a worker boundary), and both
  // realms install it: the one api module that loads code, Comlink's and the error table.
  ['src/api/wire.ts', 'api', { values: ['errors'], typesOnly: false }],
  // Known edge to remove: loading and importing a stream verify each commit here, so streams
  // call identity/verify (a value) instead of receiving verified commits from the node.
  ['src/streams/load.ts', 'streams', { values: ['identity'] }],
  ['src/streams/transfer.ts', 'streams', { values: ['identity'] }],
]

// Imports and globals that do I/O, refused where `noIo` is set (reducers and byte formats stay pure).
const IO_MODULES = '^(node:|(fs|fs/promises|path|os|net|http|https|child_process|worker_threads|dgram|dns|idb|level|classic-level|libp2p|comlink|ws)$|@libp2p/)'
const IO_GLOBALS = ['fetch', 'indexedDB', 'localStorage', 'sessionStorage', 'caches', 'WebSocket',
  'XMLHttpRequest', 'BroadcastChannel', 'SharedWorker', 'Worker', 'navigator', 'process']
// The concrete stores and the browser's keys are handed to the node, never imported by it.
const ADAPTERS = '^\\.\\./(store/(memory|disk|idb)-store|identity/(device-key|identity-db))\\.js$'

const oneOf = (names) => names.map((name) => `${name}(/|\\.js$)`).join('|')

// The rules for one folder (or file) whose path back to src/ is `toSrc` (`../` from src/x/,
// `../src/` from worker/). Folders are flat: a specifier that leaves the folder names a
// module of src/ right after that prefix.
function layerRules (label, layer, toSrc) {
  const leave = toSrc.replaceAll('.', '\\.')
  const allowed = [...layer.values, ...(layer.types ?? [])]
  const only = [...layer.values, ...(layer.types ?? []).map((name) => `${name} (types)`)].join(', ')
  const patterns = [{
    regex: `^${leave}(?!${oneOf(allowed)})`,
    message: `${label} may import only ${only} and its own folder (layering: README, "Project layout").`
  }]
  if (layer.types?.length && !layer.typesOnly) {
    patterns.push({ regex: `^${leave}(${oneOf(layer.types)})`, allowTypeImports: true, message: `${label} may import only types from ${layer.types.join(', ')}.` })
  }
  if (layer.typesOnly) {
    patterns.push({ regex: '^(?!\\./)', allowTypeImports: true, message: `${label} imports nothing but types.` })
  }
  if (layer.noAdapters) {
    patterns.push({ regex: ADAPTERS, message: `${label} receives its store and keys as ports; only a composition root builds them.` })
  }
  if (layer.noIo) {
    patterns.push({ regex: IO_MODULES, message: `${label} is pure: no I/O.` })
  }
  return {
    'no-restricted-imports': ['error', { patterns }],
    // no-restricted-imports does not see `import()`, which always loads values: the same patterns.
    // (esquery's regex literals cannot hold a slash, hence \x2F.)
    'no-restricted-syntax': ['error', ...patterns.map(({ regex, message }) => ({
      selector: `ImportExpression[source.value=/${regex.replaceAll('/', '\\x2F')}/]`,
      message
    }))],
    ...(layer.noIo && { 'no-restricted-globals': ['error', ...IO_GLOBALS.map((name) => ({ name, message: `${label} is pure: no I/O.` }))] })
  }
}

const widen = (layer, extra) => {
  const values = [...layer.values, ...(extra.values ?? [])]
  const types = [...(layer.types ?? []), ...(extra.types ?? [])].filter((name) => !values.includes(name))
  return { ...layer, values, types, typesOnly: extra.typesOnly ?? layer.typesOnly }
}

const folderOf = (name) => name === 'worker' ? { layer: WORKER, toSrc: '../src/' } : { layer: LAYERS[name], toSrc: '../' }

export default defineConfig(
  { ignores: ['dist/', 'dist-demo/', 'node_modules/', 'test-results/', 'playwright-report/', '.kiln-dev/'] },
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: {
        // tsconfig.json (DOM) covers src, test, e2e, bench, demo and the tool configs; worker/ has its own.
        project: ['./tsconfig.json', './tsconfig.worker.json'],
        tsconfigRootDir: import.meta.dirname
      }
    }
  },
  {
    files: ['**/*.ts', '**/*.tsx'],
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // `return promise` inside try/catch/finally skips the catch and runs finally too early.
      '@typescript-eslint/return-await': ['error', 'error-handling-correctness-only'],
      // A thrown string or plain object has no code, stack or cause: it reaches pages as ERR_UNEXPECTED.
      '@typescript-eslint/only-throw-error': 'error',
      // A switch over a union without a default must name every member, so a new message kind,
      // stream type or relation cannot fall through unhandled.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }]
    }
  },
  {
    // Every file. Plain JS (scripts/, bin/, this file) gets only these: no tsconfig covers it, and
    // typing those three files in a default project cost a quarter of the lint's time.
    files: ['**/*.ts', '**/*.tsx', '**/*.js', '**/*.mjs'],
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A new error made in a catch keeps the one it replaces (`{ cause: err }`).
      'preserve-caught-error': 'error'
    }
  },
  ...Object.keys(LAYERS).map((name) => ({
    files: [`src/${name}/**/*.ts`, `src/${name}/**/*.tsx`],
    rules: layerRules(`src/${name}`, LAYERS[name], '../')
  })),
  { files: ['worker/**/*.ts'], rules: layerRules('worker', WORKER, '../src/') },
  {
    files: ['src/errors.ts', 'src/logger.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ regex: '^\\.', message: 'Every folder imports this module: it imports nothing of src.' }] }] }
  },
  // Later blocks win: each exception replaces its folder's rules for that one file.
  ...EXCEPTIONS.map(([file, folder, extra]) => {
    const { layer, toSrc } = folderOf(folder)
    return { files: [file], rules: layerRules(folder === 'worker' ? 'worker' : `src/${folder}`, widen(layer, extra), toSrc) }
  })
)
