// The README runs: every `curl` and CLI example in it is executed (the HTTP ones against `npm run demo`,
// the CLI ones each block on a fresh store) and its output compared with what the README prints.
//
// How the README abbreviates, and how this test reads it:
// - an object with a "..." key may leave out fields; without one it shows them all;
// - an array whose last element is a string starting with "..." may leave out the elements after;
// - a value "..." stands for anything; timestamps and request ids (VOLATILE) are not compared;
// - CLI output follows its command as `# ` lines (durations such as `0.1s` are not compared), or in a
//   `json` block right after a one-command block; text output (CSV) follows its curl line as is.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../support/harness.js';
import { startNode, type Proc } from '../support/processes.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const VOLATILE = new Set(['loaded_at', 'updated_at', 'request_id', 'now', 'started_at', 'finished_at', 'scored_at', 'newest_loaded_at']);
const COMMAND = /^(curl |npm run cli -- |darkpool-radar )/;

interface Command {
  line: number;
  text: string;
  /** `# ` lines (CLI) or plain lines (curl) after the command. */
  outputLines: string[];
  /** The json block that follows a one-command block. */
  json: unknown;
}

function examples(markdown: string): Command[][] {
  const fence = /^( *)```(\w*)\n([\s\S]*?)^\1```$/gm;
  const found: { lang: string; body: string; line: number; start: number; end: number }[] = [];
  for (let m; (m = fence.exec(markdown));) {
    const indent = m[1]!.length;
    const body = m[3]!
      .split('\n')
      .map((l) => l.slice(indent))
      .join('\n');
    found.push({ lang: m[2]!, body, line: markdown.slice(0, m.index).split('\n').length, start: m.index, end: m.index + m[0].length });
  }
  const out: Command[][] = [];
  found.forEach((block, i) => {
    if (block.lang !== 'sh') return;
    const commands: Command[] = [];
    block.body.split('\n').forEach((raw, j) => {
      if (COMMAND.test(raw))
        commands.push({ line: block.line + 1 + j, text: raw.replace(/\s+#.*$/, ''), outputLines: [], json: undefined });
      else if (commands.length && raw.trim()) commands.at(-1)!.outputLines.push(raw);
    });
    if (!commands.length) return;
    const next = found[i + 1];
    // A json block straight after (nothing but space between) is the one command's answer.
    if (next?.lang === 'json' && commands.length === 1 && !markdown.slice(block.end, next.start).trim()) {
      commands[0]!.json = JSON.parse(next.body);
    }
    out.push(commands);
  });
  return out;
}

/** Splits a command line as sh would for what the README uses: words and '…' quotes. */
function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

/** Differences between an answer and the README's picture of it ([] when it matches). */
function compare(actual: unknown, expected: unknown, path = '$'): string[] {
  if (expected === '...') return [];
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${path}: expected an array, got ${JSON.stringify(actual)?.slice(0, 80)}`];
    const last = expected.at(-1);
    const open = typeof last === 'string' && last.startsWith('...');
    const shown = open ? expected.slice(0, -1) : expected;
    const problems = shown.flatMap((e, i) => compare(actual[i], e, `${path}[${i}]`));
    if (open ? actual.length < shown.length : actual.length !== shown.length) {
      problems.push(`${path}: ${actual.length} elements, the README shows ${shown.length}${open ? ' and more' : ''}`);
    }
    return problems;
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return [`${path}: expected an object`];
    const exp = expected as Record<string, unknown>;
    const act = actual as Record<string, unknown>;
    const problems: string[] = [];
    for (const [key, value] of Object.entries(exp)) {
      if (key === '...') continue;
      if (!(key in act)) problems.push(`${path}.${key}: not in the answer`);
      else if (!VOLATILE.has(key)) problems.push(...compare(act[key], value, `${path}.${key}`));
    }
    if (!('...' in exp)) {
      const unshown = Object.keys(act).filter((k) => !(k in exp));
      if (unshown.length) problems.push(`${path}: fields not shown and no "...": ${unshown.join(', ')}`);
    }
    return problems;
  }
  return Object.is(actual, expected) ? [] : [`${path}: ${JSON.stringify(actual)} in the answer, ${JSON.stringify(expected)} in the README`];
}

/** `jq .a.b`: the one filter the README pipes into. */
function jq(value: unknown, filter: string): unknown {
  return filter
    .split('.')
    .filter(Boolean)
    .reduce<unknown>((v, key) => (v as Record<string, unknown>)?.[key], value);
}

/** `dir/*.ext` as sh expands it (the README's only glob). */
function expand(word: string): string[] {
  if (!word.includes('*')) return [word];
  const re = new RegExp(`^${basename(word).replace(/[.]/g, '\\.').replace('*', '.*')}$`);
  return readdirSync(dirname(word))
    .filter((f) => re.test(f))
    .sort()
    .map((f) => join(dirname(word), f));
}

const normalise = (line: string) =>
  line
    .replace(/\b\d+(\.\d+)?s\b/g, 'Ns')
    .replace(/\s+/g, ' ')
    .trim();

let demo: Proc;
let base: string;
beforeAll(async () => {
  demo = startNode(['dist/cli.js', 'demo'], { PORT: '0', LOG_LEVEL: 'warn', FINRA_API_URL: 'http://127.0.0.1:9', API_KEYS: '' });
  [, base] = (await demo.waitFor(/demo on the bundled FINRA data: (http:\/\/127\.0\.0\.1:\d+)/, 60_000)) as unknown as [string, string];
}, 90_000);
afterAll(async () => {
  demo?.child.kill('SIGTERM');
  await demo?.exit;
  removeTempDirs();
});

async function runCurl(command: Command): Promise<{ status: number; text: string }> {
  const args = words(command.text).slice(1);
  const headers: Record<string, string> = {};
  let body: Buffer | undefined;
  let url = '';
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-s') continue;
    else if (a === '-H') {
      const [name, ...value] = args[++i]!.split(':');
      headers[name!.trim()] = value.join(':').trim();
    } else if (a === '--data-binary') body = readFileSync(args[++i]!.replace(/^@/, ''));
    else if (a.startsWith('-')) throw new Error(`line ${command.line}: curl option ${a} is not understood by this test`);
    else url = a;
  }
  const res = await fetch(url.replace(/^(http:\/\/)?localhost:3000/, base), { method: body ? 'POST' : 'GET', headers, body });
  return { status: res.status, text: await res.text() };
}

function runCli(command: Command, dbPath: string): { status: number; text: string } {
  const [pipeless, filter] = command.text.split(/\s*\|\s*jq\s+/);
  const [argsPart] = pipeless!.split(/\s+>\s+/);
  const args = words(argsPart!.replace(COMMAND, '')).flatMap(expand);
  const run = spawnSync(process.execPath, ['dist/cli.js', ...args], {
    env: { ...process.env, DB_PATH: dbPath, LOG_LEVEL: 'warn' },
    encoding: 'utf8',
  });
  // Progress goes to stderr, results to stdout: the README's `# ` lines show both, as a terminal does.
  const text = filter
    ? JSON.stringify(jq(JSON.parse(run.stdout), filter))
    : command.json !== undefined
      ? run.stdout
      : run.stderr + run.stdout;
  return { status: run.status ?? 1, text };
}

const blocks = examples(README);

describe('the README', () => {
  it('has examples to run', () => {
    expect(blocks.flat().length).toBeGreaterThanOrEqual(16);
  });

  it.each(blocks.map((b) => [`line ${b[0]!.line}: ${b[0]!.text}`, b] as const))('%s', async (_name, commands) => {
    const dbPath = join(tempDir(), 'readme.db');
    for (const command of commands) {
      const isCurl = command.text.startsWith('curl ');
      const result = isCurl ? await runCurl(command) : runCli(command, dbPath);
      const expectsError =
        command.json !== undefined && typeof command.json === 'object' && command.json !== null && 'status' in command.json;
      if (!expectsError) expect(result.status, `line ${command.line}: ${result.text.slice(0, 300)}`).toBe(isCurl ? 200 : 0);
      if (command.json !== undefined) {
        expect(compare(JSON.parse(result.text), command.json), `line ${command.line}`).toEqual([]);
      } else if (command.outputLines.length) {
        const expected = command.outputLines.map((l) => (isCurl ? l : l.replace(/^# ?/, ''))).filter((l) => l !== '...');
        const actual = result.text.split('\n').map(normalise);
        // In order, each line as printed; the README may leave lines out.
        let at = 0;
        for (const line of expected.map(normalise)) {
          const found = actual.indexOf(line, at);
          expect(found, `line ${command.line}: "${line}" not in the output (from line ${at}):\n${result.text}`).toBeGreaterThanOrEqual(0);
          at = found + 1;
        }
      }
    }
  });
});
