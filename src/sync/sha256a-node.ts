/**
 * Recon's key hashing on node:crypto, for Node programs (kiln/node, the CLI): importing this module
 * installs it. Its one-shot `hash` takes about half the time of the JS reference per key, which
 * counts when a server loads the index of every commit it holds at start.
 */
import { hash } from 'node:crypto'
import { useSha256 } from './sha256a.js'

useSha256((data) => hash('sha256', data, 'buffer'))
