// The social demo: Kiln's standard Models (the kit) and kiln/react, imported as an app would.
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { connect, loadKit, type EthereumProvider } from 'kiln'
import { KilnProvider } from 'kiln/react'
import { App } from './app.js'
import { KitContext } from './kit.js'

declare global {
  interface Window { ethereum?: EthereumProvider }
}

/** `?peers=<multiaddr>,…`, else the local server peer `npm start` runs, if it is up. */
async function peers (): Promise<string[]> {
  const given = new URLSearchParams(location.search).get('peers')
  if (given != null) return given.split(',').filter((addr) => addr !== '')
  try {
    const health = await fetch('http://127.0.0.1:4011/healthz', { signal: AbortSignal.timeout(1_000) })
    return ((await health.json()) as { multiaddrs: string[] }).multiaddrs
  } catch {
    return [] // no server peer: this browser only
  }
}

const root = createRoot(document.querySelector('#app')!)
try {
  const name = new URLSearchParams(location.search).get('node') ?? undefined
  const kiln = await connect({ name, peers: await peers() })
  const kit = await loadKit()
  await kit.installKit(kiln) // the kit's Models and the indexes its queries read
  root.render(
    <StrictMode>
      <KilnProvider kiln={kiln}>
        <KitContext.Provider value={kit}><App /></KitContext.Provider>
      </KilnProvider>
    </StrictMode>
  )
} catch (err) {
  root.render(<p className='error'>Could not start: {(err as Error).message}</p>)
}
