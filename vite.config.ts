import { fileURLToPath } from 'node:url'
import { defineConfig, type Plugin } from 'vite'

/**
 * One dev server for the whole project, rooted at the project root:
 *   /                        -> the demo (demo/index.html), which imports the BUILT library as
 *                               `kiln` (dist/kiln.js; `npm start` builds it first)
 *   /e2e/pages/<name>.html   -> pages driven by the Playwright tests; they import /src/... directly
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
  // A second dev server at once (the WebRTC e2e runs one inside a network namespace) keeps its own cache.
  cacheDir: process.env.KILN_VITE_CACHE_DIR ?? 'node_modules/.vite',
  resolve: { alias: { kiln: fileURLToPath(new URL('./dist/kiln.js', import.meta.url)) } },
  optimizeDeps: {
    // Scan every page and the worker (the scanner does not follow `new SharedWorker(new URL(…))`)
    // at startup and pre-bundle all their dependencies at once, so a first page load never
    // re-bundles and reloads mid-test.
    entries: ['e2e/pages/**/*.html', 'worker/kiln-worker.ts']
  }
})
