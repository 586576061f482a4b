// Sign in with a wallet, or write with this browser's own device key.
import { useSession } from 'kiln/react'
import { useAction } from './action.js'
import { shortDid, useMe, useProfile } from './kit.js'

export function Identity () {
  const { data: session, loading, signIn, signOut } = useSession()
  const me = useMe()
  const { name } = useProfile(me)
  const wallet = window.ethereum
  const signing = useAction(async () => { if (wallet != null) await signIn(wallet, { statement: 'Sign in to Kiln social' }) })
  const leaving = useAction(signOut)
  if (loading) return <div id='identity' className='muted'>…</div>
  return (
    <div id='identity'>
      <span title={me}>{name} <span className='muted'>({session == null ? 'device key' : 'wallet'} · {shortDid(me)})</span></span>
      {session == null
        ? <button onClick={() => { signing.run() }} disabled={wallet == null || signing.busy} title={wallet == null ? 'No wallet (window.ethereum) in this browser' : undefined}>Sign in with wallet</button>
        : <button onClick={() => { leaving.run() }} disabled={leaving.busy}>Use device key</button>}
      {(signing.error ?? leaving.error) != null && <span className='error'>{signing.error ?? leaving.error}</span>}
    </div>
  )
}
