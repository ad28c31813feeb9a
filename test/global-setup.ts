// Tests that start real processes (server, CLI, demo) or a browser run the built dist/: build it
// once, fresh (TypeScript and the dashboard).
import { execFileSync } from 'node:child_process';

export default function setup() {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  execFileSync(process.execPath, ['scripts/build-web.mjs'], { stdio: 'inherit' });
}
