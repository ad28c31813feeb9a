#!/usr/bin/env node
// The `darkpool-radar` program: standard output and error for the command line in cli/.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { main, type Io } from './cli/index.js';

// Run only when executed as the program (also through the npm bin symlink), not when imported by tests.
const invokedPath = process.argv[1] ? realpathSync(process.argv[1]) : '';
if (invokedPath === fileURLToPath(import.meta.url)) {
  // `darkpool-radar ticks FILE | head`: the reader went away, which is not an error of ours.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const io: Io = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };
  main(process.argv.slice(2), process.env, io).then((code) => {
    process.exitCode = code;
  });
}
