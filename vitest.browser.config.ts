import { defineConfig } from 'vitest/config'
import { playwright } from '@vitest/browser-playwright'

// Tests that need a real browser (IndexedDB, workers) run in Debian's Chromium through
// Playwright; never a browser downloaded by `playwright install`.
export default defineConfig({
  test: {
    include: ['test/**/*.browser.test.ts'],
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
