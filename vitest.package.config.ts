import { defineConfig } from 'vitest/config'

// The installed-package test (test/package/): packs the built project, installs it from the tarball
// with production dependencies only and runs it there. `npm test` runs it after `npm run build`.
export default defineConfig({
  test: {
    include: ['test/package/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 300_000
  }
})
