// Runs tests/unit/*.test.ts: Vite bundles each for Node (SSR build, dependencies left to
// node_modules) into node_modules/.cache (where those dependencies resolve), then
// node:test runs the result.
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { build } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));
const entries = readdirSync(join(here, 'unit')).filter((f) => f.endsWith('.test.ts'));
const cache = join(here, '..', 'node_modules', '.cache');
mkdirSync(cache, { recursive: true });
const out = mkdtempSync(join(cache, 'unit-'));
try {
  await build({
    configFile: false,
    logLevel: 'warn',
    root: join(here, '..'),
    build: {
      ssr: true,
      outDir: out,
      emptyOutDir: true,
      minify: false,
      rollupOptions: {
        input: Object.fromEntries(entries.map((f) => [f.replace(/\.ts$/, ''), join(here, 'unit', f)])),
        output: { format: 'esm', entryFileNames: '[name].mjs' },
      },
    },
  });
  const files = entries.map((f) => join(out, f.replace(/\.ts$/, '.mjs')));
  const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...files], { stdio: 'inherit' });
  process.exitCode = r.status ?? 1;
} finally {
  rmSync(out, { recursive: true, force: true });
}
