import { fileURLToPath } from 'node:url'
import { defineConfig, type Plugin } from 'vite'

/**
 * One dev server for the whole project, rooted at the project root:
 *   /                        -> the notes demo (demo/index.html), which imports the BUILT library as
 *                               `kiln` (dist/kiln.js; `npm start` builds it first)
 *   /demo/social/            -> the social demo (demo/social/), on the built `kiln` and `kiln/react`
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
  resolve: {
    alias: [
      { find: /^kiln$/, replacement: fileURLToPath(new URL('./dist/kiln.js', import.meta.url)) },
      { find: /^kiln\/react$/, replacement: fileURLToPath(new URL('./dist/kiln-react.js', import.meta.url)) }
    ]
  },
  // `vite build` builds both demos (on the built library) into dist-demo/, to serve from anywhere.
  build: {
    outDir: 'dist-demo',
    rolldownOptions: { input: { notes: 'demo/index.html', social: 'demo/social/index.html' } }
  },
  optimizeDeps: {
    // Scan every page and the worker (the scanner does not follow `new SharedWorker(new URL(…))`)
    // at startup and pre-bundle all their dependencies at once, so a first page load never
    // re-bundles and reloads mid-test.
    entries: ['e2e/pages/**/*.html', 'worker/kiln-worker.ts'],
    // The social demo's React (the demos' imports of the built library are not scanned before
    // it exists).
    include: ['react', 'react-dom/client', 'react/jsx-dev-runtime']
  }
})
