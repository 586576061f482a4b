import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryBlockstore } from 'blockstore-core'
import { openDiskBlocks } from '../../src/files/disk-blocks.js'
import { createFileBlockstore } from '../../src/files/file-blockstore.js'
import { fileGcConformance } from '../conformance/file-gc.js'

fileGcConformance('memory', {
  persistent: false,
  open: async (_name, now) => ({ blocks: createFileBlockstore({ store: new MemoryBlockstore(), now }), close: async () => {} })
})

const root = mkdtempSync(join(tmpdir(), 'kiln-gc-'))
fileGcConformance('disk', {
  persistent: true,
  open: async (name, now) => await openDiskBlocks({ path: join(root, name), now })
})
