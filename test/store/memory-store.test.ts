import { createMemoryStore } from '../../src/store/memory-store.js'
import { storeConformance } from '../conformance/store.js'

storeConformance('memory', { open: async () => createMemoryStore(), persistent: false })
