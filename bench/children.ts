import type { ChildProcess } from 'node:child_process'

// Server children a bench spawns never outlive it, whatever ends it.
const children = new Set<ChildProcess>()
process.on('exit', () => { for (const child of children) child.kill('SIGTERM') })

/** Kills `child` when this process exits, unless it exited first. */
export function ownChild (child: ChildProcess): ChildProcess {
  children.add(child)
  child.once('exit', () => children.delete(child))
  return child
}
