import { describe, expect, it } from 'vitest'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { DEBIAN_CHROMIUM, INSTALL_COMMAND, chromiumPlan } from '../../scripts/ensure-chromium.mjs'

const exec = promisify(execFile)
const SCRIPT = join(import.meta.dirname, '../../scripts/ensure-chromium.mjs')
const missing = (): boolean => false

async function runScript (chromiumPath: string): Promise<{ code: number, stdout: string, stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [SCRIPT], { env: { ...process.env, CHROMIUM_PATH: chromiumPath }, encoding: 'utf8' })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number, stdout: string, stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

describe('ensure-chromium (npm test\'s pretest)', () => {
  it('does nothing when the browser is there', () => {
    expect(chromiumPlan({ path: DEBIAN_CHROMIUM, isExecutable: () => true, isRoot: false })).toEqual({ action: 'ok' })
  })

  it('installs Debian\'s chromium when it is missing and it runs as root, as .ci/run does', () => {
    expect(chromiumPlan({ path: DEBIAN_CHROMIUM, isExecutable: missing, isRoot: true })).toEqual({ action: 'install' })
    expect(INSTALL_COMMAND).toBe('apt-get update && apt-get install -y chromium')
  })

  it('stops with the exact command to run when it is missing and it does not run as root', () => {
    expect(chromiumPlan({ path: DEBIAN_CHROMIUM, isExecutable: missing, isRoot: false }))
      .toMatchObject({ action: 'stop', message: expect.stringContaining('sudo apt-get update && sudo apt-get install -y chromium') })
  })

  it('never installs for a CHROMIUM_PATH elsewhere (the package would not put it there): it names the variable', () => {
    const plan = chromiumPlan({ path: '/opt/nowhere/chromium', isExecutable: missing, isRoot: true })
    expect(plan).toMatchObject({ action: 'stop', message: expect.stringContaining('CHROMIUM_PATH is "/opt/nowhere/chromium"') })
  })

  it('as a script: exits non-zero with the message for a fake CHROMIUM_PATH, and 0 for an executable one', async () => {
    const fake = await runScript('/opt/nowhere/chromium')
    expect(fake.code).toBe(1)
    expect(fake.stderr).toContain('CHROMIUM_PATH is "/opt/nowhere/chromium", which is not an executable file')
    expect(fake.stdout).toBe('')
    expect(await runScript(process.execPath)).toEqual({ code: 0, stdout: '', stderr: '' })
  })
})
