import { defineConfig } from 'vite';

/** The console is served by the API under /console/ (same origin, same authentication). */
export default defineConfig({
  root: import.meta.dirname,
  base: '/console/',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 400 },
  oxc: { jsx: { runtime: 'automatic' } },
});
