#!/usr/bin/env node
// The `kiln` command. Installed from npm it runs the compiled CLI (dist/lib, which `npm run build`
// writes and the package ships). In a checkout of the repository it runs the TypeScript source
// through tsx (a dev dependency), so the tests and a fresh clone need no build and never run a
// stale one. It runs on the Node that started it: 20.19+ or 22+ (README, "Node versions").
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = fileURLToPath(import.meta.url)
const source = new URL('../src/cli/main.ts', import.meta.url)
const built = new URL('../dist/lib/cli/main.js', import.meta.url)

// An installed package sits in a node_modules folder (npm, pnpm, global installs); a checkout does
// not (`npm link` too: Node gives a linked bin its real path).
const checkout = !here.split(sep).includes('node_modules') && existsSync(source) && hasTsx()

if (checkout) {
  const { register } = await import('tsx/esm/api')
  register()
  await import(source.href)
} else if (existsSync(built)) {
  await import(built.href)
} else {
  const message = 'The kiln CLI is not built: run `npm run build` (or `npm install` for the dev dependencies)'
  process.stderr.write(JSON.stringify({ error: { code: 'ERR_UNEXPECTED', name: 'Error', message } }) + '\n')
  process.exitCode = 1
}

function hasTsx () {
  try {
    createRequire(import.meta.url).resolve('tsx/esm/api')
    return true
  } catch {
    return false
  }
}
