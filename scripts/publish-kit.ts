/**
 * Publishes the kit's new Models: signs each definition of src/kit/definitions.ts that
 * src/kit/published.ts does not hold yet as a Model genesis with a fresh did:key, then forgets the
 * key (a Model never changes, so nothing needs it again) and rewrites src/kit/published.ts with
 * each Model's StreamID, signed genesis as a CAR, and publisher. Models published before keep
 * their StreamIDs (apps' documents point at them): a changed definition is a new Model, under a
 * new name. Run: npx tsx scripts/publish-kit.ts
 */
import { writeFileSync } from 'node:fs'
import { base64 } from 'multiformats/bases/base64'
import { buildGenesis } from '../src/commits/build.js'
import { encodeCar } from '../src/commits/car.js'
import { modelGenesis } from '../src/commits/genesis.js'
import { createDidKeySigner } from '../src/identity/signer.js'
import { StreamType } from '../src/ids/index.js'
import { KIT_MODELS, type KitModelName } from '../src/kit/definitions.js'
import { KIT_PUBLISHER, PUBLISHED } from '../src/kit/published.js'

const published: Partial<Record<KitModelName, { id: string, car: string, publisher: string }>> = { ...PUBLISHED }
const signer = await createDidKeySigner(crypto.getRandomValues(new Uint8Array(32)))
const fresh: string[] = []
for (const [name, definition] of Object.entries(KIT_MODELS) as Array<[KitModelName, unknown]>) {
  if (published[name] != null) continue
  const genesis = await buildGenesis(StreamType.MODEL, modelGenesis(signer.controller, definition), signer)
  published[name] = { id: genesis.streamId.toString(), car: base64.baseEncode(await encodeCar(genesis.cid, genesis.blocks)), publisher: signer.controller }
  fresh.push(name)
}
const lines = Object.entries(published).map(([name, p]) => `  ${name}: { id: '${p.id}', publisher: '${p.publisher}', car: '${p.car}' }`)
writeFileSync(new URL('../src/kit/published.ts', import.meta.url), `// Written by scripts/publish-kit.ts: the kit's Models as published (StreamID, publisher, signed genesis CAR in base64).
import type { KitModelName } from './definitions.js'

/** The did:key that signed the kit's first Models (its private key was discarded after signing). */
export const KIT_PUBLISHER = '${KIT_PUBLISHER}'

/** Each Model as published, with the did:key that signed it (each batch had its own, then discarded). */
export const PUBLISHED: Record<KitModelName, { id: string, publisher: string, car: string }> = {
${lines.join(',\n')}
}
`)
console.log(fresh.length === 0 ? 'every Model was published already' : `published ${fresh.join(', ')} as ${signer.controller}`)
