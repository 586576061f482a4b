import { useCallback, useEffect, useState } from 'react'
import type { NodeStatus, SessionInfo } from '../api/types.js'
import type { EthereumProvider, SignInOptions } from '../client/sign-in.js'
import { useKilnContext } from './provider.js'
import { type KilnResult, coalesced, every, on, useWatch } from './watch.js'

/** How often the node's status (peers, sync) is read again (the worker does not push it). */
export const STATUS_REFRESH_MS = 2_000

export interface StatusResult extends KilnResult<NodeStatus> {
  /**
   * No peer to sync with: the browser is offline, the node was given no peers, or none is
   * connected now. Writes still work; they reach peers when one is back.
   */
  offline: boolean
}

/**
 * The node's status, kept current: the DID it writes with (`data.did`: the wallet account, or
 * this browser's device key), where it runs, its peers and sync progress (`data.network`), and
 * whether it is offline.
 *
 * @example
 * const { data, offline } = useStatus()
 * offline ? 'offline' : `${data?.network?.peers.length} peers`
 */
export function useStatus (): StatusResult {
  const { kiln, sessions } = useKilnContext()
  const online = useOnline()
  const result = useWatch<NodeStatus>([kiln, sessions], 'status', async (feed) => {
    const read = coalesced(async () => { feed.next(await kiln.status()) }, feed.fail)
    const stops = [on(globalThis, ['online', 'offline'], read), on(sessions, ['change'], read), every(STATUS_REFRESH_MS, read)]
    read()
    return () => { for (const stop of stops) stop() }
  })
  const peers = result.data?.network?.peers.length ?? 0
  return { ...result, offline: !online || (result.data != null && peers === 0) }
}

/** `navigator.onLine`, as state. */
function useOnline (): boolean {
  const [online, setOnline] = useState(() => navigator.onLine)
  useEffect(() => {
    const changed = (): void => { setOnline(navigator.onLine) }
    addEventListener('online', changed)
    addEventListener('offline', changed)
    return () => { removeEventListener('online', changed); removeEventListener('offline', changed) }
  }, [])
  return online
}

export interface SessionResult extends KilnResult<SessionInfo | undefined> {
  /** Signs in with an Ethereum wallet; new streams are then the wallet account's. */
  signIn: (provider: EthereumProvider, options?: SignInOptions) => Promise<SessionInfo>
  /** Ends the wallet session: new streams are signed by this browser's device key again. */
  signOut: () => Promise<void>
}

/**
 * The wallet session new streams are written with (`data` undefined once loaded: none, the
 * device key writes), with sign-in and sign-out. Read again after either, in every component of
 * this tab, and when the tab comes back into focus (another tab may have signed in).
 *
 * @example
 * const { data: session, loading, signIn } = useSession()
 * if (!loading && session == null) return <button onClick={() => signIn(window.ethereum)}>Sign in</button>
 */
export function useSession (): SessionResult {
  const { kiln, sessions } = useKilnContext()
  const result = useWatch<SessionInfo | undefined>([kiln, sessions], 'session', async (feed) => {
    const read = coalesced(async () => { feed.next(await kiln.session()) }, feed.fail)
    const stops = [on(globalThis, ['focus'], read), on(sessions, ['change'], read)]
    read()
    return () => { for (const stop of stops) stop() }
  })
  const changed = useCallback(() => { sessions.dispatchEvent(new Event('change')) }, [sessions])
  const signIn = useCallback(async (provider: EthereumProvider, options?: SignInOptions) => {
    try {
      return await kiln.signIn(provider, options)
    } finally {
      changed()
    }
  }, [kiln, changed])
  const signOut = useCallback(async () => {
    try {
      await kiln.signOut()
    } finally {
      changed()
    }
  }, [kiln, changed])
  return { ...result, signIn, signOut }
}
