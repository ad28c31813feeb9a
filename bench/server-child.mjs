// The built server on a free loopback port, for the benchmarks: prints its URL, stops on SIGTERM.
import { loadConfig } from '../dist/config.js';
import { serve } from '../dist/server.js';

const running = await serve(loadConfig({ ...process.env, PORT: '0', HOST: '127.0.0.1' }), { schedule: false });
process.stdout.write(`${running.url}\n`);
process.on('SIGTERM', () => void running.close().then(() => process.exit(0)));
