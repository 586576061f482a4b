/** Runs the real `kiln serve` (bin/kiln.js) as a child process, as a user would. */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const KILN = join(import.meta.dirname, '../../bin/kiln.js')

export interface Ready { ready: true, peerId: string, multiaddrs: string[], http: string }
export interface Server { proc: ChildProcess, ready: Ready, stdout: string[], exited: Promise<number | null> }

/** Spawns `kiln serve` (ports 0) and resolves with its ready line; `cleanups` gets a kill for it. */
export async function serve (cleanups: Array<() => Promise<void>>, dir: string, args: string[] = [], env: Record<string, string> = {}, node = process.execPath): Promise<Server> {
  const proc = spawn(node, [KILN, 'serve', '--dir', dir, '--port', '0', '--http-port', '0', ...args], { env: { ...process.env, KILN_SEED: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const stdout: string[] = []
  let stderr = ''
  proc.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => { resolve(code) }))
  const ready = await new Promise<Ready>((resolve, reject) => {
    let buffer = ''
    proc.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString()
      const lines = buffer.split('\n')
      buffer = lines.pop() ?? ''
      for (const line of lines) {
        stdout.push(line)
        const parsed = JSON.parse(line) as Ready
        if (parsed.ready) resolve(parsed)
      }
    })
    void exited.then((code) => { reject(new Error(`kiln serve exited (${String(code)}) before it was ready: ${stderr}`)) })
    setTimeout(() => { reject(new Error(`kiln serve not ready after 20 s: ${stderr}`)) }, 20_000)
  })
  const server = { proc, ready, stdout, exited }
  cleanups.push(async () => { if (proc.exitCode == null) { proc.kill('SIGKILL'); await exited } })
  return server
}

export async function stop (server: Server): Promise<number | null> {
  server.proc.kill('SIGTERM')
  return await server.exited
}

export async function get (server: Server, path: string): Promise<{ status: number, body: any }> {
  const res = await fetch(server.ready.http + path)
  const type = res.headers.get('content-type') ?? ''
  return { status: res.status, body: type.startsWith('application/json') ? await res.json() : new Uint8Array(await res.arrayBuffer()) }
}

export const tempDir = (): string => mkdtempSync(join(tmpdir(), 'kiln-serve-'))
