// Placeholder demo (the lead replaces it): computes a Tile StreamID in the browser.
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { StreamID } from '../src/ids/index.js'

/** A deterministic Tile genesis (`{ header }`, no `data`) and its StreamID (CIP-59). */
async function demoStreamId (): Promise<string> {
  const genesis = { header: { controllers: ['did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK'], family: 'kiln-demo' } }
  const cid = CID.create(1, dagCbor.code, await sha256.digest(dagCbor.encode(genesis)))
  return StreamID.fromGenesis('tile', cid).toString()
}

const out = document.getElementById('stream-id')!
demoStreamId().then((id) => { out.textContent = id }, (err: unknown) => { out.textContent = `error: ${String(err)}` })
