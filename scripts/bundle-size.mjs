// Prints the gzip size of each built bundle and fails the build when one is over its budget.
import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'

// kiln/react (dist/kiln-react.js) holds the hooks alone: React is the app's, the core is imported.
// The script-tag build cannot load code lazily, so it carries the wallet sign-in code (SIWE, CACAO,
// secp256k1 recovery) that the ESM build keeps in kiln-wallet.js until the first signIn(), and the
// kit (its Models' signed geneses, dag-cbor for ids from DIDs) that it keeps in kiln-kit.js, and
// the kit's identity documents with their signature checks (secp256k1 recovery for EIP-191,
// Ed25519, P-256: about 25 kB) that it keeps in kiln-identity-docs.js.
// The worker loads libp2p and sync (kiln-worker-sync.js) only once it is given peers, and helia,
// UnixFS and blockstore-idb (kiln-worker-files.js) on the first file call or with the network,
// and viem's JSON-RPC client with the anchor checks (kiln-worker-evm-anchors.js) only once a page
// trusts an anchor chain.
const BUDGETS_KB = { 'dist/kiln.js': 20, 'dist/kiln-react.js': 3, 'dist/kiln-wallet.js': 50, 'dist/kiln.iife.js': 100, 'dist/kiln-kit.js': 25, 'dist/kiln-identity-docs.js': 30, 'dist/kiln-worker.js': 300, 'dist/kiln-worker-sync.js': 200, 'dist/kiln-worker-files.js': 120, 'dist/kiln-worker-evm-anchors.js': 90 }
let over = false
for (const [file, budget] of Object.entries(BUDGETS_KB)) {
  const bytes = readFileSync(file)
  const gzipKb = gzipSync(bytes).length / 1024
  const line = `${file.padEnd(22)} ${(bytes.length / 1024).toFixed(1).padStart(7)} kB  gzip ${gzipKb.toFixed(1).padStart(6)} kB  (budget ${budget} kB)`
  console.log(line)
  if (gzipKb > budget) { over = true; console.error(`over budget: ${file}`) }
}
process.exitCode = over ? 1 : 0
