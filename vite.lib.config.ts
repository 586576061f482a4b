import { defineConfig } from 'vite'

/**
 * The library builds: `dist/kiln.js` (ESM, for bundlers), `dist/kiln-react.js` (ESM, the
 * `kiln/react` entry; React stays the app's, imported, never bundled) and `dist/kiln.iife.js` (a
 * script tag, global `Kiln`). Both load the worker bundle from next to themselves: vite turns
 * `new SharedWorker(new URL(..., import.meta.url))` into a separate file, `dist/kiln-worker.js`.
 * Set KILN_LIB_FORMAT=iife for the second build (IIFE needs a single entry).
 */
const format = process.env.KILN_LIB_FORMAT === 'iife' ? 'iife' : 'es'
/** The ESM entries, by file name. kiln/react imports only types of the core, so it shares no code with it. */
const ES_ENTRIES = { kiln: 'src/client/index.ts', 'kiln-react': 'src/react/index.ts' }

export default defineConfig({
  // A classic script has no import.meta: the IIFE resolves the worker against its own <script src>,
  // captured while the script runs (document.currentScript exists only then).
  base: './',
  define: format === 'iife' ? { 'import.meta.url': '__kilnScriptUrl' } : {},
  build: {
    rolldownOptions: format === 'iife'
      ? { output: { banner: 'var __kilnScriptUrl = (document.currentScript && document.currentScript.src) || location.href;' } }
      // The wallet sign-in code is loaded on first signIn() only: its own file next to kiln.js.
      : {
          external: [/^react($|\/)/, /^react-dom($|\/)/],
          output: { chunkFileNames: (chunk) => chunk.moduleIds.some((id) => id.includes('pkh-ethereum')) ? 'kiln-wallet.js' : 'kiln-[name].js' }
        },
    outDir: 'dist',
    emptyOutDir: format === 'es',
    sourcemap: true,
    lib: {
      entry: format === 'es' ? ES_ENTRIES : 'src/client/index.ts',
      name: 'Kiln',
      formats: [format],
      fileName: (_format, entryName) => format === 'es' ? `${entryName}.js` : 'kiln.iife.js'
    }
  },
  worker: {
    format: 'es',
    rolldownOptions: { output: { entryFileNames: 'kiln-worker.js', chunkFileNames: 'kiln-worker-[name].js' } }
  }
})
