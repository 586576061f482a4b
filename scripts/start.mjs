// `npm start`: a local server peer (kiln serve, data in .kiln-dev/) and the demo on vite, together.
// The demo finds the peer through its /healthz and syncs with it, so two browsers (or two browser
// profiles) on this machine see each other's notes. Ctrl-C stops both.
import { spawn } from 'node:child_process'

const children = []
const run = (command, args) => {
  const child = spawn(command, args, { stdio: 'inherit' })
  children.push(child)
  child.on('exit', (code) => { if (code !== 0 && code != null) stop(code) })
  return child
}
const stop = (code = 0) => {
  for (const child of children) child.kill('SIGTERM')
  process.exitCode = code
}
process.on('SIGINT', () => stop())
process.on('SIGTERM', () => stop())

run(process.execPath, ['bin/kiln.js', 'serve', '--dir', '.kiln-dev', '--port', '4010', '--http-port', '4011'])
run(process.execPath, ['node_modules/vite/bin/vite.js', '--host', '127.0.0.1', '--port', '5173'])
console.log('notes demo: http://127.0.0.1:5173/   social demo: http://127.0.0.1:5173/demo/social/')
