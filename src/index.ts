/**
 * @packageDocumentation
 * Kiln's stream core: Ceramic-compatible ids, commits, stream reducers, verification and the
 * conflict rule. Pure code and WebCrypto; runs in pages, workers and Node alike.
 */
export * from './errors.js'
export * from './ids/index.js'
export { type Block, type BlockSource, encodeCborBlock } from './commits/block.js'
export { tileGenesis, modelGenesis, modelInstanceGenesis, MODEL_STREAM_ID, type GenesisPlan, type GenesisPayload, type GenesisHeader, type AccountRelation } from './commits/genesis.js'
export { dataCommit, diffContent, type DataPayload, type DataHeader, type PatchOperation } from './commits/data.js'
export { timeCommit, type TimePayload, type AnchorProof } from './commits/time.js'
export { buildGenesis, buildSignedCommit, type BuiltCommit } from './commits/build.js'
export { encodeCar, decodeCar } from './commits/car.js'
export { loadCommit, MAX_COMMIT_BLOCK_BYTES, type RawCommit } from './commits/decode.js'
export { createDidKeySigner, createKeySigner, withCapability, type Signer } from './identity/signer.js'
export { verifyCommit, type VerifiedCommit, type AnchorValidator } from './identity/verify.js'
export { verifyCapability } from './identity/capability.js'
export * from './streams/state.js'
export { applyCommit, type ReducerContext } from './streams/reducer.js'
export { loadStream, loadAtCommit, applyNewCommit, createFromGenesis, readLog, type LoadContext } from './streams/load.js'
export { pickCanonicalLog, pickCanonicalAmong } from './streams/conflict.js'
export { exportStreamCar, importStreamCar } from './streams/transfer.js'
export type { ModelDefinition } from './streams/model.js'
