// The kit (Kiln's standard social Models) as the app's components reach it, and who "I" am.
import { createContext, useContext, useEffect, useState } from 'react'
import type { loadKit } from 'kiln'
import { useStatus, useStream } from 'kiln/react'

export type Kit = Awaited<ReturnType<typeof loadKit>>

export const KitContext = createContext<Kit | undefined>(undefined)

export function useKit (): Kit {
  const kit = useContext(KitContext)
  if (kit == null) throw new Error('useKit needs <KitContext.Provider value={kit}>')
  return kit
}

/** The account this browser writes as: the wallet's, when signed in, else the device key's DID. */
export function useMe (): string | undefined {
  return useStatus().data?.did
}

/** An account's profile, found from its DID alone (its StreamID is computed, no query). */
export function useProfile (did: string | undefined): { id: string | undefined, name: string, profile: ProfileContent | undefined, missing: boolean } {
  const { profileId } = useKit()
  const [id, setId] = useState<string>()
  useEffect(() => {
    setId(undefined)
    if (did != null) void profileId(did).then(setId)
  }, [did, profileId])
  const { data, error } = useStream(id)
  const profile = data?.content as ProfileContent | undefined
  return { id, name: profile?.name ?? shortDid(did), profile, missing: error?.code === 'ERR_STREAM_NOT_FOUND' }
}

export interface ProfileContent { name?: string, bio?: string, avatar?: string, links?: string[] }
export interface PostContent { title?: string, body: string, tags?: string[], replyTo?: string, published: number }
export interface CommentContent { target: string, text: string, published: number }

export function shortDid (did: string | undefined): string {
  if (did == null) return '…'
  return did.length > 24 ? `${did.slice(0, 14)}…${did.slice(-6)}` : did
}
