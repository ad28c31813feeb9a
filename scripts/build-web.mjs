// Builds the dashboard (web/) into dist/web: one bundled script, one stylesheet, the page.
// Everything it needs is served by this server: no CDN, works offline.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build } from 'esbuild';

mkdirSync('dist/web/assets', { recursive: true });
await build({
  entryPoints: { app: 'web/src/main.ts' },
  outdir: 'dist/web/assets',
  bundle: true,
  format: 'esm',
  target: ['es2022'],
  minify: true,
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
copyFileSync('web/index.html', 'dist/web/index.html');

// Each asset compressed here, once and at the best ratio: the server sends these as they are
// (compressed per request, the script cost 5 ms of CPU in brotli, its source map 10 ms).
for (const name of readdirSync('dist/web/assets')) {
  if (name.endsWith('.br') || name.endsWith('.gz')) continue;
  const file = `dist/web/assets/${name}`;
  const bytes = readFileSync(file);
  writeFileSync(`${file}.br`, brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
  writeFileSync(`${file}.gz`, gzipSync(bytes, { level: 9 }));
}
