/**
 * @packageDocumentation
 * React bindings for Kiln (`kiln/react`): a provider for the tab's connection and hooks that
 * keep components current with the node: a stream, a query and a count (live), a follow with
 * its catch-up progress, the wallet session and the node's status. Each returns
 * `{ data, loading, error }`. React is a peer dependency; the core (`kiln`) does not load it.
 *
 * @example
 * const kiln = await connect()
 * createRoot(element).render(<KilnProvider kiln={kiln}><App /></KilnProvider>)
 * // in App: const { data: post } = useStream(id)
 */
export { KilnProvider, useKiln, type KilnProviderProps } from './provider.js'
export type { KilnResult } from './watch.js'
export { useStream } from './use-stream.js'
export { useQuery, useCount } from './use-query.js'
export { useFollow, FOLLOW_REFRESH_MS } from './use-follow.js'
export { useStatus, useSession, STATUS_REFRESH_MS, type StatusResult, type SessionResult } from './use-status.js'
