import { createMemoryStore } from '../../src/store/memory-store.js'
import { storeConformance } from '../conformance/store.js'
import { fieldIndexConformance } from '../conformance/field-index.js'

const memory = { open: async () => createMemoryStore(), persistent: false }
storeConformance('memory', memory)
fieldIndexConformance('memory', memory)
