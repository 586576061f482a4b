import { spawn, type ChildProcess } from 'node:child_process'

// Server children a bench spawns never outlive it, whatever ends it.
const children = new Set<ChildProcess>()
process.on('exit', () => { for (const child of children) child.kill('SIGTERM') })

/** Kills `child` when this process exits, unless it exited first. */
export function ownChild (child: ChildProcess): ChildProcess {
  children.add(child)
  child.once('exit', () => children.delete(child))
  return child
}

/**
 * Starts a bench script in its own process (owned: see ownChild) and resolves with the JSON of the
 * first stdout line that starts with `{"ready"`, or rejects if it exits before printing one.
 */
export async function spawnUntilReady<T> (script: string, args: string[], what: string): Promise<{ child: ChildProcess, ready: T }> {
  const child = ownChild(spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] }))
  return await new Promise((resolve, reject) => {
    let out = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const line = out.split('\n').find((l) => l.startsWith('{"ready"'))
      if (line != null) resolve({ child, ready: JSON.parse(line) as T })
    })
    child.once('exit', (code) => { reject(new Error(`${what} exited (${String(code)}) before it was ready`)) })
  })
}

/** Stops a child with SIGTERM and waits until it has exited. */
export async function stopChild (child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await exited
}
