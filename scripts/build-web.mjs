// Builds the dashboard (web/) into dist/web: one bundled script, one stylesheet, the page.
// Everything it needs is served by this server: no CDN, works offline.
import { copyFileSync, mkdirSync } from 'node:fs';
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
