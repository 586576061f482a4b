/**
 * A minimal app page for browser tests: connects to the origin's node and exposes the client on
 * `window.kiln`, plus `window.events` collecting what subscriptions deliver in this tab.
 */
import { connect, loadKit, type AnchorChains, type Kiln, type StreamSnapshot } from '../../src/client/index.js'

declare global {
  interface Window { kiln?: Kiln, loadKit: typeof loadKit, events: StreamSnapshot[], closedWith?: unknown, connectError?: unknown }
}

window.events = []
window.loadKit = loadKit
const params = new URLSearchParams(location.search)
const name = params.get('node') ?? 'kiln-e2e'
// `peers`: comma-separated server peer multiaddrs to sync with.
const peers = params.get('peers')?.split(',').filter((p) => p !== '') ?? []
// `anchorChains`: connect()'s option as JSON (chain id → RPC URL or { rpcUrl, confirmations }).
const anchorChains = params.has('anchorChains') ? JSON.parse(params.get('anchorChains') as string) as AnchorChains : undefined
try {
  window.kiln = await connect({ name, peers, anchorChains, onClosed: (error) => { window.closedWith = error } })
  document.querySelector('#status')!.textContent = 'ready'
} catch (err) {
  window.connectError = { name: (err as Error).name, code: (err as { code?: string }).code, message: (err as Error).message }
  document.querySelector('#status')!.textContent = 'failed'
}
