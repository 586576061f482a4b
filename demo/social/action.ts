// A button's write: busy while it runs, its typed error shown after (the hooks cover reads).
import { useState } from 'react'

export function useAction<A extends unknown[]> (action: (...args: A) => Promise<void>): { run: (...args: A) => void, busy: boolean, error: string | undefined } {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string>()
  const run = (...args: A): void => {
    setBusy(true)
    setError(undefined)
    action(...args).then(() => { setBusy(false) }, (err: { code?: string, message?: string }) => {
      setBusy(false)
      setError(`${err.code ?? 'error'}: ${err.message ?? String(err)}`)
    })
  }
  return { run, busy, error }
}
