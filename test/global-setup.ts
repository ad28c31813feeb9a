// Tests that start real processes (server, CLI, demo) run the built dist/; build it once, fresh.
import { execFileSync } from 'node:child_process';

export default function setup() {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
