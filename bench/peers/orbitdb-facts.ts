/**
 * What each system does per change, printed beside the ratios. The OrbitDB lines were checked
 * against @orbitdb/core 4.0.0's source: oplog/entry.js (create signs, verify), oplog/log.js
 * (joinEntry verifies each entry it takes from a peer; append does not verify its own),
 * key-store.js (secp256k1), databases/documents.js (get and query iterate the log), sync.js
 * (heads over a libp2p protocol when a peer subscribes to the topic, new entries on pubsub) and
 * storage/ipfs-block.js (entries are helia blocks, fetched by hash).
 */
export const DIFFERENCES = [
  'what each does: Kiln signs and verifies every commit (did:key / CACAO JWS), indexes fields, and',
  '  reconciles by interest (Recon ranges, or heads of an account\'s streams);',
  'OrbitDB signs each oplog entry with its identity\'s secp256k1 key and verifies the signature and',
  '  the writer\'s identity of every entry it takes from a peer (not of its own appends); Documents',
  '  keys a document by _id but keeps no index (get and query walk the oplog from its heads);',
  '  it replicates a database\'s whole log: heads swapped when a peer joins its pubsub topic, new',
  '  entries over gossipsub, the rest fetched entry by entry as helia blocks (bitswap);',
  'automerge-repo neither signs nor verifies, and fetches documents by URL only (no queries, no',
  '  range reconciliation).'
]
