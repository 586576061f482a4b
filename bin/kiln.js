#!/usr/bin/env node
// The `kiln` command: runs the TypeScript CLI through tsx's loader (no build step needed).
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

// Kiln targets Node >= 22: libp2p 3 (`kiln serve`) needs Promise.withResolvers, and this machine's
// `node` is 20. Under an older Node, run this same file with the Node 22 binary of the `node` npm
// package (a devDependency) when it is installed, passing on arguments, stdio, signals and exit code.
function node22 () {
  try {
    const bin = join(dirname(createRequire(import.meta.url).resolve('node/package.json')), 'bin', 'node')
    return existsSync(bin) ? bin : undefined
  } catch {
    return undefined // no `node` package: carry on here; only `kiln serve` will then fail
  }
}

const newer = Number(process.versions.node.split('.')[0]) < 22 ? node22() : undefined
if (newer != null) {
  const child = spawn(newer, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' })
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => { child.kill(signal) })
  child.on('exit', (code, signal) => { process.exit(code ?? (signal === 'SIGINT' ? 130 : 143)) })
} else {
  const { register } = await import('tsx/esm/api')
  register()
  await import('../src/cli/main.ts')
}
