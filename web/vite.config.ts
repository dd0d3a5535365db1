// Vite configuration for the cocreate web UI.
// The production build is a static bundle (dist/index.html + dist/assets/*) that
// `cocreate serve` serves at `/`. During development, `npm run dev` proxies the API
// to a running server: COCREATE_API (default http://127.0.0.1:8091).
// `test` configures Vitest (`npm run test:unit`): the unit tests beside the sources.
/// <reference types="vitest/config" />
import { defineConfig } from 'vite';

const api = process.env.COCREATE_API ?? 'http://127.0.0.1:8091';
const proxy = {
  '/api': { target: api, changeOrigin: false },
  '/healthz': { target: api, changeOrigin: false },
};

export default defineConfig({
  base: '/',
  build: {
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 1200,
  },
  server: { host: '127.0.0.1', proxy },
  preview: { host: '127.0.0.1', proxy },
  test: { include: ['src/**/*.test.ts'], environment: 'node' },
});
