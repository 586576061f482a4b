// Offline or not, sync progress, and the peers this browser's node syncs with.
import { useStatus } from 'kiln/react'

export function StatusBar () {
  const { data: status, offline, error } = useStatus()
  if (error != null) return <p id='sync-status' className='error'>{error.code}: {error.message}</p>
  if (status == null) return <p id='sync-status' className='muted'>connecting…</p>
  const network = status.network
  const peers = network?.peers ?? []
  return (
    <details id='sync-status' className={offline ? 'offline' : 'online'}>
      <summary>
        <strong>{offline ? 'Offline' : 'Online'}</strong>
        {' · '}{peers.length} peer{peers.length === 1 ? '' : 's'}
        {network?.syncing === true ? ' · syncing…' : network == null ? ' · no peers configured' : ' · in sync'}
        {' · '}{status.streams} streams here
      </summary>
      <p className='muted'>Node in a {status.mode}, storage {status.storage}; {network?.synced ?? 0} runs of commits received from peers
        {network?.lastSyncAt == null ? '' : `, last sync ${new Date(network.lastSyncAt).toLocaleTimeString()}`}.</p>
      <ul id='peers'>
        {peers.map((peer) => <li key={peer.id}><code>{peer.id}</code> {peer.direct ? 'direct (WebRTC)' : 'server / relay'}</li>)}
      </ul>
    </details>
  )
}
