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

/** `kiln` and `kiln/react` for the demos: the built library in development, as an app imports it. */
const built = (file: string): string => fileURLToPath(new URL(`./dist/${file}`, import.meta.url))
const source = (file: string): string => fileURLToPath(new URL(`./src/${file}`, import.meta.url))

export default defineConfig(({ command }) => ({
  plugins: [demoAtRoot()],
  server: { port: 5173 },
  // A second dev server at once (the WebRTC e2e runs one inside a network namespace) keeps its own cache.
  cacheDir: process.env.KILN_VITE_CACHE_DIR ?? 'node_modules/.vite',
  resolve: {
    // `vite build` bundles the demos with the library's source instead: bundling dist/kiln.js, vite
    // copies its worker (dist/kiln-worker.js) as one hashed asset without the chunks that worker
    // imports (kiln-worker-src.js…), so the node would never start.
    alias: command === 'build'
      ? [{ find: /^kiln$/, replacement: source('client/index.ts') }, { find: /^kiln\/react$/, replacement: source('react/index.ts') }]
      : [{ find: /^kiln$/, replacement: built('kiln.js') }, { find: /^kiln\/react$/, replacement: built('kiln-react.js') }]
  },
  // `vite build` builds both demos into dist-demo/, a static site to serve from anywhere.
  build: {
    outDir: 'dist-demo',
    rolldownOptions: { input: { notes: 'demo/index.html', social: 'demo/social/index.html' } }
  },
  // The node's worker loads its network and files code lazily (its own chunks): an ES worker.
  worker: { format: 'es' },
  optimizeDeps: {
    // Scan every page and the worker (the scanner does not follow `new SharedWorker(new URL(…))`)
    // at startup and pre-bundle all their dependencies at once, so a first page load never
    // re-bundles and reloads mid-test.
    entries: ['e2e/pages/**/*.html', 'worker/kiln-worker.ts'],
    // The social demo's React (the demos' imports of the built library are not scanned before
    // it exists).
    include: ['react', 'react-dom/client', 'react/jsx-dev-runtime']
  }
}))
