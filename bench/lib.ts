// Plumbing for the benchmarks: child processes, load runs, the machine's description.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpus, release, totalmem } from 'node:os';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';

/** Runs `node args...` and parses the JSON it prints. */
export async function nodeJson<T>(args: string[], env: Record<string, string> = {}): Promise<T> {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  const [code] = (await once(child, 'exit')) as [number];
  if (code !== 0) throw new Error(`node ${args.join(' ')} exited ${code}: ${out.slice(0, 500)}`);
  return JSON.parse(out) as T;
}

export interface Service {
  child: ChildProcess;
  /** The first line the service prints (its URL). */
  firstLine: string;
  lines: AsyncIterator<string>;
  stop: () => Promise<void>;
}

/** Starts a long-running process and waits for its first line of output. */
export async function startService(file: string, args: string[], env: Record<string, string> = {}, stdin = false): Promise<Service> {
  const child = spawn(file, args, { env: { ...process.env, ...env }, stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done) throw new Error(`${file} ${args.join(' ')} ended before printing anything`);
  return {
    child,
    firstLine: first.value,
    lines,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

export async function waitReady(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never answered`);
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  non2xx: number;
}

/** Loopback load at `connections` for `seconds`, paths drawn by `path()`, with extra request headers. */
export function load(
  url: string,
  path: () => string,
  connections: number,
  seconds: number,
  headers: Record<string, string> = {},
): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    autocannon(
      { url, connections, duration: seconds, headers, requests: [{ setupRequest: (req) => ({ ...req, path: path() }) }] },
      (err, r) => {
        if (err) return reject(err);
        resolve({
          rps: r.requests.average,
          p50: r.latency.p50,
          p99: r.latency.p99,
          requests: r.requests.total,
          errors: r.errors + r.timeouts,
          non2xx: r.non2xx,
        });
      },
    );
  });
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function machine() {
  const cpu = cpus();
  return {
    cpu: `${cpu[0]?.model ?? 'unknown'} x ${cpu.length}`,
    memory_gib: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    kernel: `${process.platform} ${release()}`,
  };
}

export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
export const mb = (kb: number) => `${fmt(kb / 1024)} MB`;
