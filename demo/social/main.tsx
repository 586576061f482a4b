// The social demo: Kiln's standard Models (the kit) and kiln/react, imported as an app would.
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { connect, loadKit, type EthereumProvider } from 'kiln'
import { KilnProvider } from 'kiln/react'
import { App } from './app.js'
import { KitContext } from './kit.js'
import { localPeers } from '../local-peers.js'

declare global {
  interface Window { ethereum?: EthereumProvider }
}

const root = createRoot(document.querySelector('#app')!)
try {
  const name = new URLSearchParams(location.search).get('node') ?? undefined
  const kiln = await connect({ name, peers: await localPeers() })
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
