// The dashboard front end: Preact + uPlot, built into web/dist, which the fastify server serves.
// `npx vite web` runs it with hot reload against a dashboard on :8080 (`simmer serve`).
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 600 },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
});
