import { ESLint } from 'eslint'
import tseslint from 'typescript-eslint'
import { describe, expect, it } from 'vitest'

// The layering rules of eslint.config.js, run on snippets placed at a path in the tree: a regex
// that no longer matches would let the lint pass while enforcing nothing. The snippets need no
// types, so type information is off here (the promise rules are tested by eslint itself).
const eslint = new ESLint({
  cwd: new URL('../..', import.meta.url).pathname,
  overrideConfig: [{ files: ['**/*.ts'], ...tseslint.configs.disableTypeChecked }]
})

async function layeringErrors (path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path })
  const fatal = result.messages.filter((m) => m.fatal === true)
  if (fatal.length > 0) throw new Error(`${path}: ${fatal[0].message}`)
  return result.messages.map((m) => `${m.ruleId ?? 'fatal'}: ${m.message}`)
}

// [file, import, refused]. The files need not exist: the rules go by path.
const CASES: Array<[string, string, boolean]> = [
  ['src/ids/probe.ts', "import { KilnError } from '../errors.js'", false],
  ['src/ids/probe.ts', "import { tileGenesis } from '../commits/genesis.js'", true],
  ['src/commits/probe.ts', "import { StreamID } from '../ids/index.js'", false],
  ['src/commits/probe.ts', "import { applyCommits } from '../streams/load.js'", true],
  ['src/streams/probe.ts', "import type { VerifiedCommit } from '../identity/verify.js'", false],
  ['src/streams/probe.ts', "import { verifyCommit } from '../identity/verify.js'", true],
  ['src/streams/load.ts', "import { verifyCommit } from '../identity/verify.js'", false],
  ['src/streams/load.ts', "import type { Store } from '../store/store.js'", true],
  ['src/streams/probe.ts', "import type { Store } from '../store/store.js'", true],
  ['src/streams/probe.ts', "import type { StreamNode } from '../node/stream-node.js'", true],
  ['src/streams/probe.ts', "import { openDB } from 'idb'", true],
  ['src/streams/probe.ts', "import Ajv from 'ajv/dist/2020.js'", false],
  ['src/streams/probe.ts', "export const load = async () => await fetch('/x')", true],
  ['src/identity/probe.ts', "import { applyCommits } from '../streams/load.js'", true],
  ['src/store/probe.ts', "import type { StreamNode } from '../node/stream-node.js'", true],
  ['src/node/probe.ts', "import { matches } from '../store/store.js'", false],
  ['src/node/probe.ts', "import { createIdbStore } from '../store/idb-store.js'", true],
  ['src/node/probe.ts', "import { loadDeviceSigner } from '../identity/device-key.js'", true],
  ['src/node/probe.ts', "import type { SyncInterest } from '../sync/interests.js'", true],
  ['src/node/probe.ts', "export const start = async () => await import('../sync/index.js')", true],
  ['src/node/probe.ts', "import { serveClient } from '../host/worker-host.js'", true],
  ['src/node/probe.ts', "import { runServe } from '../server/serve-command.js'", true],
  ['src/sync/probe.ts', "import type { StreamNode } from '../node/stream-node.js'", false],
  ['src/sync/probe.ts', "import { connect } from '../client/index.js'", true],
  ['src/sync/probe.ts', "import { runServe } from '../server/serve-command.js'", true],
  ['src/files/probe.ts', "import { StoreFullError } from '../errors.js'", false],
  ['src/files/probe.ts', "import type { StreamNode } from '../node/stream-node.js'", true],
  ['src/server/probe.ts', "import { createFileStore } from '../files/file-store.js'", false],
  ['src/api/probe.ts', "import type { StreamSnapshot } from '../node/snapshot.js'", false],
  ['src/api/probe.ts', "import { errorToPlain } from '../errors.js'", true],
  ['src/api/probe.ts', "import * as Comlink from 'comlink'", true],
  ['src/client/probe.ts', "import { CALLS } from '../api/calls.js'", false],
  ['src/client/probe.ts', "import { LeaderChangedError } from '../errors.js'", false],
  ['src/client/probe.ts', "import { createStreamNode } from '../node/stream-node.js'", true],
  ['src/client/probe.ts', "import { startSync } from '../sync/sync.js'", true],
  ['src/react/probe.ts', "import type { Kiln } from '../client/connect.js'", false],
  ['src/react/probe.ts', "import type { KilnError } from '../errors.js'", false],
  ['src/react/probe.ts', "import { useState } from 'react'", false],
  ['src/react/probe.ts', "import { connect } from '../client/index.js'", true],
  ['src/react/probe.ts', "import { KilnError } from '../errors.js'", true],
  ['src/react/probe.ts', "import type { StreamNode } from '../node/stream-node.js'", true],
  ['src/host/probe.ts', "import { createIdbStore } from '../store/idb-store.js'", false],
  ['src/host/probe.ts', "import { connect } from '../client/index.js'", true],
  ['src/host/probe.ts', "import { runServe } from '../server/serve-command.js'", true],
  ['src/server/probe.ts', "import { serveClient } from '../host/worker-host.js'", true],
  ['src/cli/probe.ts', "import { runServe } from '../server/serve-command.js'", false],
  ['src/errors.ts', "import { StreamID } from './ids/index.js'", true],
  ['worker/probe.ts', "import { startWorkerHost } from '../src/host/worker-host.js'", false],
  ['worker/probe.ts', "import { startSync } from '../src/sync/sync.js'", true]
]

describe('the import layering (eslint.config.js)', () => {
  it.each(CASES)('%s: %s (refused: %s)', async (path, code, refused) => {
    const errors = await layeringErrors(path, `${code}\n`)
    if (refused) expect(errors).toContainEqual(expect.stringMatching(/^no-restricted-(imports|syntax|globals): /))
    else expect(errors).toEqual([])
  })
})
