import { defineConfig } from 'vitest/config'

// Unit and conformance tests on Node. Tests named *.browser.test.ts run in Chromium instead
// (vitest.browser.config.ts); test/package/ needs a build and runs after it (vitest.package.config.ts).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/**/*.browser.test.ts', 'test/package/**', 'node_modules/**'],
    testTimeout: 30_000,
    // Ceramic's Tile handler, the judge in the interop tests, refuses to run in its default "v4
    // mode"; it reads this when its module loads, so it must be set before any test imports it.
    env: { IPFS_FLAVOR: 'go' }
  }
})
