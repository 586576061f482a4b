/**
 * Kiln as users get it: `npm pack` of the built project, installed from the tarball into an empty
 * directory with production dependencies only, then the `kiln` command (through npx) and a script
 * importing kiln/node and kiln/server, once on the machine's Node (20 here) and once on the
 * project's Node 22. One install serves both. Needs `npm run build` first (`npm test` runs it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { promisify } from 'node:util'

const exec = promisify(execFile)
const ROOT = join(import.meta.dirname, '../..')
const PROJECT_NODE = join(ROOT, 'node_modules/node/bin/node')

/** The machine's own `node`: the first on PATH outside node_modules (npm scripts put Node 22 first). */
function machineNode (): string {
  const bin = (process.env.PATH ?? '').split(delimiter).filter((dir) => !dir.includes('node_modules'))
    .map((dir) => join(dir, 'node')).find((path) => existsSync(path))
  if (bin == null) throw new Error('No `node` on PATH outside node_modules')
  return bin
}

const version = (bin: string): string => execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim()

// The machine's Node and Node 22, once each (a machine whose own Node is the same 22 runs once).
const NODES = [...new Map([machineNode(), PROJECT_NODE].map((bin) => [version(bin), bin])).entries()]

let dir: string
const started: ChildProcess[] = []

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/lib/cli/main.js'))) throw new Error('The package test packs the build: run `npm run build` first')
  dir = mkdtempSync(join(tmpdir(), 'kiln-installed-'))
  const began = Date.now()
  const { stdout } = await exec('npm', ['pack', '--json', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' })
  const [{ filename }] = JSON.parse(stdout) as Array<{ filename: string }>
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'kiln-installed-check', private: true, type: 'module' }))
  await exec('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', join(dir, filename)], { cwd: dir, encoding: 'utf8' })
  copyFileSync(join(import.meta.dirname, 'use-kiln.mjs'), join(dir, 'use-kiln.mjs'))
  console.log(`packed and installed in ${Math.round((Date.now() - began) / 1000)} s`)
})

afterAll(() => {
  // A server a failed test left running: its whole process group (npx and the kiln it started).
  for (const child of started) {
    if (child.exitCode == null && child.signalCode == null && child.pid != null) {
      try { process.kill(-child.pid, 'SIGKILL') } catch {}
    }
  }
  if (dir != null) rmSync(dir, { recursive: true, force: true })
})

describe('the installed package, production dependencies only', () => {
  it('holds no dev dependency: neither tsx nor the node package', () => {
    expect(existsSync(join(dir, 'node_modules/kiln/dist/lib/cli/main.js'))).toBe(true)
    expect(existsSync(join(dir, 'node_modules/tsx'))).toBe(false)
    expect(existsSync(join(dir, 'node_modules/node'))).toBe(false)
  })

  it('type-checks a program using kiln/node and kiln/server against the installed types', async () => {
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', lib: ['ES2023', 'DOM'], allowJs: true, checkJs: true, strict: true, noEmit: true, skipLibCheck: true, typeRoots: [join(ROOT, 'node_modules/@types')], types: ['node'] },
      files: ['use-kiln.mjs']
    }))
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc')
    await expect(exec(process.execPath, [tsc, '-p', dir], { cwd: dir, encoding: 'utf8' })).resolves.toMatchObject({ stdout: '' })
  })

  describe.each(NODES)('on Node %s', (nodeVersion, nodeBin) => {
    // `npx` and the `kiln` bin (#!/usr/bin/env node) both run on the first `node` on PATH.
    const env = { ...process.env, PATH: [dirname(nodeBin), ...(process.env.PATH ?? '').split(delimiter).filter((d) => !d.includes('node_modules'))].join(delimiter), KILN_SEED: '' }
    const kiln = async (...args: string[]): Promise<any> => {
      // --no: never fetch a package named kiln from the registry; run the installed one or fail.
      const { stdout } = await exec('npx', ['--no', 'kiln', ...args], { cwd: dir, env, encoding: 'utf8' })
      return JSON.parse(stdout)
    }

    it('runs npx kiln init, create, show and serve', async () => {
      expect(execFileSync('node', ['--version'], { env, encoding: 'utf8' }).trim()).toBe(nodeVersion)
      const data = join(dir, `data-${nodeVersion}`)
      const init = await kiln('init', '--dir', data)
      expect(init).toMatchObject({ created: true, did: expect.stringMatching(/^did:key:z6Mk/) })
      const created = await kiln('create', '--dir', data, '--content', '{"title":"installed"}', '--family', 'notes')
      const shown = await kiln('show', created.id, '--dir', data)
      expect(shown).toMatchObject({ id: created.id, tip: created.tip, content: { title: 'installed' }, metadata: { controllers: [init.did], family: 'notes' } })

      const server = spawn('npx', ['--no', 'kiln', 'serve', '--dir', data, '--port', '0', '--http-port', '0'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
      started.push(server)
      const ready = await readyLine(server)
      expect(ready).toMatchObject({ ready: true, multiaddrs: [expect.stringMatching(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/ws\/p2p\/12D3Koo/)] })
      expect(await (await fetch(`${ready.http as string}/streams/${created.id as string}`)).json()).toMatchObject({ tip: created.tip, content: { title: 'installed' } })
      // Ctrl-C signals the whole process group; npx does not pass signals on (it just exits), so
      // signalling npx alone would leave kiln running. 'close': every holder of stdout (kiln) exited.
      const closed = new Promise((resolve) => server.on('close', resolve))
      process.kill(-(server.pid ?? 0), 'SIGINT')
      await closed
      expect(stdoutOf(server)).toContain('{"stopped":true,"signal":"SIGINT"}')
    })

    it('runs a script that imports kiln/node and kiln/server: create, update, load, a typed error, a server peer', async () => {
      const { stdout } = await exec('node', ['use-kiln.mjs'], { cwd: dir, env, encoding: 'utf8' })
      const seen = JSON.parse(stdout)
      expect(seen).toMatchObject({
        node: nodeVersion,
        loaded: { content: { title: 'updated' }, tip: seen.tip, versions: 2, family: 'notes' },
        stale: { code: 'ERR_STALE_TIP', typed: true },
        served: { tip: seen.tip, content: { title: 'updated' } }
      })
    })
  })
})

/** Resolves with `kiln serve`'s ready line (JSON on stdout); rejects if it exits first. */
const stdouts = new WeakMap<ChildProcess, string>()
const stdoutOf = (child: ChildProcess): string => stdouts.get(child) ?? ''

async function readyLine (child: ChildProcess): Promise<Record<string, unknown>> {
  return await new Promise((resolve, reject) => {
    let err = ''
    child.stderr?.on('data', (chunk: Buffer) => { err += chunk.toString() })
    child.stdout?.on('data', (chunk: Buffer) => {
      stdouts.set(child, stdoutOf(child) + chunk.toString())
      const line = stdoutOf(child).split('\n').find((l) => l.startsWith('{"ready":true'))
      if (line != null) resolve(JSON.parse(line) as Record<string, unknown>)
    })
    child.on('exit', (code) => { reject(new Error(`kiln serve exited (${String(code)}) before it was ready: ${err}`)) })
  })
}
