import { afterEach, describe, expect, it, vi } from 'vitest'
import { connect } from 'node:net'
import { main } from '../../src/cli/main.js'
import { DEFAULT_HTTP_LIMITS } from '../../src/server/http-api.js'
import { serveOptions } from '../../src/server/serve-command.js'
import { serve, tempDir } from './kiln-serve.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map(async (stop) => await stop()))
})

/** Sends raw bytes to host:port and resolves with everything answered once the server closes the socket. */
async function raw (url: string, data: string): Promise<string> {
  const { hostname, port } = new URL(url)
  return await new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => { socket.write(data) })
    let answer = ''
    socket.on('data', (chunk) => { answer += chunk.toString() })
    socket.on('close', () => { resolve(answer) })
    socket.on('error', reject)
  })
}

describe('kiln serve: HTTP limits', () => {
  it('flags, env and config set the limits; the defaults stay otherwise; bad values are refused by name', () => {
    expect(serveOptions({}, {}).httpLimits).toEqual(DEFAULT_HTTP_LIMITS)
    expect(serveOptions({ 'http-max-header-bytes': '4KiB', 'http-headers-timeout': '2s', 'http-request-timeout': '1m', 'http-max-connections': '50' }, {}).httpLimits)
      .toEqual({ ...DEFAULT_HTTP_LIMITS, maxHeaderBytes: 4096, headersTimeoutMs: 2_000, requestTimeoutMs: 60_000, maxConnections: 50 })
    expect(serveOptions({}, { KILN_HTTP_MAX_CONNECTIONS: '7', KILN_HTTP_MAX_HEADER_BYTES: '8000' }).httpLimits).toMatchObject({ maxConnections: 7, maxHeaderBytes: 8_000 })
    // A request time shorter than the headers' time shortens theirs too.
    expect(serveOptions({ 'http-request-timeout': '3s' }, {}).httpLimits).toMatchObject({ requestTimeoutMs: 3_000, headersTimeoutMs: 3_000 })
    for (const flags of [{ 'http-max-header-bytes': 'huge' }, { 'http-max-header-bytes': '0' }, { 'http-headers-timeout': 'soon' }, { 'http-request-timeout': '0' }, { 'http-max-connections': '1.5' }, { 'http-max-connections': '0' }]) {
      const flag = `--${Object.keys(flags)[0]}`
      expect(() => serveOptions(flags, {}), flag).toThrow(expect.objectContaining({ code: 'ERR_INVALID_INPUT', message: expect.stringContaining(flag) }))
    }
  })

  it('kiln serve --help lists the HTTP limit flags', async () => {
    const out: string[] = []
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => { out.push(String(chunk)); return true })
    try {
      expect(await main(['serve', '--help'])).toBe(0)
    } finally {
      write.mockRestore()
    }
    for (const flag of ['--http-max-header-bytes', '--http-headers-timeout', '--http-request-timeout', '--http-max-connections']) expect(out.join('')).toContain(flag)
  })

  it('a served peer answers headers past --http-max-header-bytes with 431 and a slow client past --http-headers-timeout with 408', { timeout: 60_000 }, async () => {
    const server = await serve(cleanups, tempDir(), ['--http-max-header-bytes', '2KiB', '--http-headers-timeout', '1s', '--http-max-connections', '16'])
    const big = await raw(server.ready.http, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(4096)}\r\nConnection: close\r\n\r\n`)
    expect(big).toMatch(/^HTTP\/1\.1 431/)
    // Within the limit, a header of the same kind is served.
    const small = await raw(server.ready.http, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Small: ${'a'.repeat(1024)}\r\nConnection: close\r\n\r\n`)
    expect(small).toMatch(/^HTTP\/1\.1 200/)
    const started = Date.now()
    const slow = await raw(server.ready.http, 'GET /healthz HTTP/1.1\r\nHost: x\r\n')
    expect(slow).toMatch(/^HTTP\/1\.1 408/)
    // Node's default would hold it 60 s.
    expect(Date.now() - started).toBeLessThan(10_000)
  })
})
