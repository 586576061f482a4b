/**
 * Where both demos find peers: `?peers=<multiaddr>,…`, else the local server peer `npm start`
 * runs (its /healthz lists its addresses), if it is up; else none, and the demo works offline in
 * this browser only.
 */
export async function localPeers (): Promise<string[]> {
  const given = new URLSearchParams(location.search).get('peers')
  if (given != null) return given.split(',').filter((addr) => addr !== '')
  try {
    const health = await fetch('http://127.0.0.1:4011/healthz', { signal: AbortSignal.timeout(1_000) })
    return ((await health.json()) as { multiaddrs: string[] }).multiaddrs
  } catch {
    return []
  }
}
