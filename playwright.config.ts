import { defineConfig } from '@playwright/test'

// Browser tests run in Debian's Chromium (`apt-get install -y chromium`), never in a
// browser downloaded by `playwright install`. Override the binary with CHROMIUM_PATH.
// KILN_E2E_PORT moves the dev server when 5173 is taken (e.g. two checkouts on one machine).
const PORT = Number(process.env.KILN_E2E_PORT ?? 5173)
const BASE_URL = `http://127.0.0.1:${PORT}`
export const NO_WEBRTC_UDP = '--webrtc-ip-handling-policy=disable_non_proxied_udp'

export default defineConfig({
  testDir: 'e2e',
  reporter: 'list',
  retries: 0,
  workers: 1,
  forbidOnly: !!process.env.CI,
  timeout: 30_000,
  // CI must finish in under 30 minutes overall; a hung browser test fails well before that.
  globalTimeout: 15 * 60_000,
  use: {
    browserName: 'chromium',
    baseURL: BASE_URL,
    headless: true,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      // --no-sandbox: Chromium's sandbox refuses to start as root (CI runs as root).
      // The others keep the browser off the GPU and off every network but the test server; WebRTC
      // would reach the other browser over this machine's own address, so it is off here (the
      // WebRTC spec runs its browsers inside a network namespace and turns it back on).
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', NO_WEBRTC_UDP]
    }
  },
  projects: [{ name: 'chromium' }],
  webServer: {
    command: `npx vite --port ${PORT} --strictPort --host 127.0.0.1`,
    url: `${BASE_URL}/e2e/pages/core.html`,
    reuseExistingServer: !process.env.CI,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe'
  }
})
