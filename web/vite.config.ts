import { defineConfig } from 'vite';

/**
 * The exports page: web/ built into dist/web/, which src/api/webPage.ts serves. Preact's JSX needs
 * no plugin: the transform is told its runtime here (and tsconfig.json tells tsc).
 */
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    // Vite's preload polyfill is an inline script, which the page's CSP (script-src 'self') refuses.
    modulePreload: { polyfill: false },
    // Small enough to read as one script: a stylesheet and a script, both hashed.
    assetsInlineLimit: 0,
    target: 'es2022',
  },
});
