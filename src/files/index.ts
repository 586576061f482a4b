/** The browser's files, loaded by the worker on the first file call (its own bundle chunk). */
export { createFileStore, type FileStore } from './file-store.js'
export { startFileNetwork, type FileNetwork } from './file-network.js'
export { openIdbBlocks } from './idb-blocks.js'
export { fileRefsIn, fileUri } from './file-refs.js'
