import { defineConfig, type Plugin } from 'vite'

/**
 * One dev server for the whole project, rooted at the project root so that pages
 * import the library as `/src/...`:
 *   /                        -> the demo (demo/index.html)
 *   /e2e/pages/<name>.html   -> pages driven by the Playwright tests in e2e/
 */

/** Serves demo/index.html at `/` (the demo's own URLs are absolute: /demo/...). */
function demoAtRoot (): Plugin {
  return {
    name: 'kiln:demo-at-root',
    configureServer (server) {
      server.middlewares.use((req, _res, next) => {
        if (req.url === '/' || req.url?.startsWith('/?') === true) req.url = '/demo/index.html'
        next()
      })
    }
  }
}

export default defineConfig({
  plugins: [demoAtRoot()],
  server: { port: 5173 },
  optimizeDeps: {
    // Scan every page (and, through them, src/) at startup and pre-bundle all their
    // dependencies at once, so a first page load never re-bundles and reloads mid-test.
    // None of the core's dependencies needs Node's Buffer, process or global shims.
    entries: ['demo/**/*.html', 'e2e/pages/**/*.html']
  },
  build: {
    rolldownOptions: { input: { demo: 'demo/index.html' } }
  }
})
