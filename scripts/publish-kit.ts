/**
 * Publishes the kit's Models once: signs each definition of src/kit/definitions.ts as a Model
 * genesis with a fresh did:key, then forgets the key (a Model never changes, so nothing needs it
 * again) and writes src/kit/published.ts: each Model's StreamID and signed genesis as a CAR.
 * Run again only to publish new versions (new StreamIDs): npx tsx scripts/publish-kit.ts
 */
import { writeFileSync } from 'node:fs'
import { base64 } from 'multiformats/bases/base64'
import { buildGenesis } from '../src/commits/build.js'
import { encodeCar } from '../src/commits/car.js'
import { modelGenesis } from '../src/commits/genesis.js'
import { createDidKeySigner } from '../src/identity/signer.js'
import { StreamType } from '../src/ids/index.js'
import { KIT_MODELS } from '../src/kit/definitions.js'

const signer = await createDidKeySigner(crypto.getRandomValues(new Uint8Array(32)))
const lines: string[] = []
for (const [name, definition] of Object.entries(KIT_MODELS)) {
  const genesis = await buildGenesis(StreamType.MODEL, modelGenesis(signer.controller, definition), signer)
  const car = await encodeCar(genesis.cid, genesis.blocks)
  lines.push(`  ${name}: { id: '${genesis.streamId.toString()}', car: '${base64.baseEncode(car)}' }`)
}
writeFileSync(new URL('../src/kit/published.ts', import.meta.url), `// Written by scripts/publish-kit.ts: the kit's Models as published (StreamID, signed genesis CAR in base64).
import type { KitModelName } from './definitions.js'

/** The did:key that signed the kit's Models (its private key was discarded after signing). */
export const KIT_PUBLISHER = '${signer.controller}'

export const PUBLISHED: Record<KitModelName, { id: string, car: string }> = {
${lines.join(',\n')}
}
`)
console.log(`published ${lines.length} Models as ${signer.controller}`)
