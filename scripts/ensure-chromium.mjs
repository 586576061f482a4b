// Run first by `npm test` (pretest). The browser and e2e tests drive Debian's Chromium (CHROMIUM_PATH,
// else /usr/bin/chromium; never a browser from `playwright install`). When it is missing this
// installs Debian's package if it runs as root (as .ci/run does), and otherwise stops with the
// command to run, instead of letting vitest and Playwright fail later with a launch error.
import { spawnSync } from 'node:child_process'
import { accessSync, constants, statSync } from 'node:fs'
import { pathToFileURL } from 'node:url'

export const DEBIAN_CHROMIUM = '/usr/bin/chromium'
export const INSTALL_COMMAND = 'apt-get update && apt-get install -y chromium'

/**
 * What to do about `path` (the browser the tests will launch): `ok`, `install`, or `stop` with a
 * message. Installing only helps when the missing path is where Debian's package puts Chromium.
 */
export function chromiumPlan ({ path, isExecutable, isRoot }) {
  if (isExecutable(path)) return { action: 'ok' }
  if (path !== DEBIAN_CHROMIUM) {
    return { action: 'stop', message: `CHROMIUM_PATH is ${JSON.stringify(path)}, which is not an executable file. Point it at a Chromium binary, or unset it to use Debian's Chromium (${DEBIAN_CHROMIUM}).` }
  }
  if (isRoot) return { action: 'install' }
  return {
    action: 'stop',
    message: `The browser tests need Debian's Chromium at ${DEBIAN_CHROMIUM}, which is not installed. Install it with:\n\n` +
      '  sudo apt-get update && sudo apt-get install -y chromium\n\n' +
      'then run npm test again (or set CHROMIUM_PATH to another Chromium binary).'
  }
}

export function isExecutable (path) {
  try {
    accessSync(path, constants.X_OK)
    return statSync(path).isFile()
  } catch {
    return false
  }
}

function main () {
  const path = process.env.CHROMIUM_PATH ?? DEBIAN_CHROMIUM
  let plan = chromiumPlan({ path, isExecutable, isRoot: process.getuid?.() === 0 })
  if (plan.action === 'install') {
    console.log(`Chromium is missing at ${path}; installing Debian's package: ${INSTALL_COMMAND}`)
    const run = spawnSync('sh', ['-c', INSTALL_COMMAND], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
    plan = isExecutable(path)
      ? { action: 'ok' }
      : { action: 'stop', message: `Installing Chromium failed (\`${INSTALL_COMMAND}\` exited with ${String(run.status ?? run.error)}); ${path} is still missing.` }
  }
  if (plan.action === 'stop') {
    console.error(plan.message)
    process.exitCode = 1
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main()
