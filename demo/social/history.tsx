// Every version of a stream, and any one of them as it was (time travel: load a CommitID).
import { useEffect, useState } from 'react'
import type { HistoryEntry, StreamSnapshot } from 'kiln'
import { useKiln, useStream } from 'kiln/react'

export function History ({ stream }: { stream: StreamSnapshot }) {
  const kiln = useKiln()
  const [entries, setEntries] = useState<HistoryEntry[]>([])
  const [shown, setShown] = useState<string>()
  // Read again whenever the stream moves on (its tip changes).
  useEffect(() => { void kiln.history(stream.id).then(setEntries) }, [kiln, stream.id, stream.tip])
  return (
    <section aria-label='History'>
      <h3>History</h3>
      <ol id='history'>
        {entries.map((entry, i) => (
          <li key={entry.cid}>
            <button onClick={() => { setShown(entry.commitId) }} aria-pressed={shown === entry.commitId}>version {i + 1}</button>
            <span className='muted'> {entry.receivedAt == null ? '' : new Date(entry.receivedAt).toLocaleString()}</span>
          </li>
        ))}
      </ol>
      {shown != null && <Version commitId={shown} />}
    </section>
  )
}

function Version ({ commitId }: { commitId: string }) {
  const { data, loading, error } = useStream(commitId)
  if (loading) return <p className='muted'>…</p>
  if (error != null) return <p className='error'>{error.message}</p>
  return (
    <figure id='version'>
      <figcaption className='muted'>As it was at <code>{commitId}</code> (read-only)</figcaption>
      <pre>{JSON.stringify(data?.content, null, 2)}</pre>
    </figure>
  )
}
