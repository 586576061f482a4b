import { defineConfig } from 'vite'

/**
 * The library builds: `dist/kiln.js` (ESM, for bundlers) and `dist/kiln.iife.js` (a script tag,
 * global `Kiln`). Both load the worker bundle from next to themselves: vite turns
 * `new SharedWorker(new URL(..., import.meta.url))` into a separate file, `dist/kiln-worker.js`.
 * Set KILN_LIB_FORMAT=iife for the second build (IIFE needs a single entry).
 */
const format = process.env.KILN_LIB_FORMAT === 'iife' ? 'iife' : 'es'

export default defineConfig({
  // A classic script has no import.meta: the IIFE resolves the worker against its own <script src>,
  // captured while the script runs (document.currentScript exists only then).
  base: './',
  define: format === 'iife' ? { 'import.meta.url': '__kilnScriptUrl' } : {},
  build: {
    rolldownOptions: format === 'iife'
      ? { output: { banner: 'var __kilnScriptUrl = (document.currentScript && document.currentScript.src) || location.href;' } }
      // The wallet sign-in code is loaded on first signIn() only: its own file next to kiln.js.
      : { output: { chunkFileNames: (chunk) => chunk.moduleIds.some((id) => id.includes('pkh-ethereum')) ? 'kiln-wallet.js' : 'kiln-[name].js' } },
    outDir: 'dist',
    emptyOutDir: format === 'es',
    sourcemap: true,
    lib: {
      entry: 'src/client/index.ts',
      name: 'Kiln',
      formats: [format],
      fileName: () => format === 'es' ? 'kiln.js' : 'kiln.iife.js'
    }
  },
  worker: {
    format: 'es',
    rolldownOptions: { output: { entryFileNames: 'kiln-worker.js', chunkFileNames: 'kiln-worker-[name].js' } }
  }
})
