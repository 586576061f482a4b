import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'
import { playwright } from '@vitest/browser-playwright'

// Tests that need a real browser (IndexedDB, workers) run in Debian's Chromium through
// Playwright; never a browser downloaded by `playwright install`.
export default defineConfig({
  // The README's example imports the package by name: here that is the source.
  resolve: {
    alias: [
      { find: /^kiln$/, replacement: fileURLToPath(new URL('./src/client/index.ts', import.meta.url)) },
      { find: /^kiln\/react$/, replacement: fileURLToPath(new URL('./src/react/index.ts', import.meta.url)) }
    ]
  },
  // Dependencies found only once a test runs (the worker's, the wallet code loaded on sign-in)
  // would make vite re-bundle and reload the page mid-run: bundle them all at start.
  optimizeDeps: {
    entries: ['test/**/*.browser.test.{ts,tsx}', 'worker/kiln-worker.ts'],
    include: ['@didtools/pkh-ethereum', 'react', 'react-dom', 'react-dom/client', 'react/jsx-dev-runtime']
  },
  test: {
    include: ['test/**/*.browser.test.{ts,tsx}'],
    testTimeout: 30_000,
    browser: {
      enabled: true,
      headless: true,
      provider: playwright({
        launchOptions: {
          executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
          args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
        }
      }),
      instances: [{ browser: 'chromium' }]
    }
  }
})
