import { createContext, createElement, useContext, useMemo, type ReactNode } from 'react'
import type { Kiln } from '../client/connect.js'

interface KilnContextValue {
  kiln: Kiln
  /** Told ('change') when this tab signs in or out, so every useSession reads the session again. */
  sessions: EventTarget
}

const KilnContext = createContext<KilnContextValue | undefined>(undefined)

export interface KilnProviderProps {
  /** The tab's connection, from `await connect()`. */
  kiln: Kiln
  children?: ReactNode
}

/**
 * Gives the components below it a Kiln connection for the hooks.
 *
 * @example
 * const kiln = await connect({ peers })
 * createRoot(element).render(<KilnProvider kiln={kiln}><App /></KilnProvider>)
 */
export function KilnProvider ({ kiln, children }: KilnProviderProps): ReactNode {
  const value = useMemo(() => ({ kiln, sessions: new EventTarget() }), [kiln])
  return createElement(KilnContext.Provider, { value }, children)
}

/** The Kiln connection of the nearest KilnProvider: call it directly for writes (`create`, `update`). */
export function useKiln (): Kiln {
  return useKilnContext().kiln
}

export function useKilnContext (): KilnContextValue {
  const value = useContext(KilnContext)
  // A programming mistake, not bad input: no Kiln error code fits it.
  if (value == null) throw new Error('Kiln hooks need a <KilnProvider kiln={…}> above them')
  return value
}
