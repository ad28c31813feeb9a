// The house rule of docs/ARCHITECTURE.md, checked on the code: every import between the top-level parts
// of src/ points down the layers, and no two parts import each other, directly or round a cycle.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

/** Lowest first. A part may import its own modules and any part of a lower layer, nothing else. */
const LAYERS: readonly (readonly string[])[] = [
  ['domain', 'package-info'],
  ['config', 'logger'],
  ['finra', 'sectors'],
  ['store'],
  ['ingest', 'estimate'],
  ['read'],
  ['ticks', 'webhooks'],
  ['api'],
  ['compose'],
  ['app'],
  ['server'],
  ['cli'],
];

const layerOf = new Map(LAYERS.flatMap((parts, i) => parts.map((p) => [p, i] as const)));

/** A source file's part: its top-level folder, or its own name for a file directly in src/. */
function partOf(file: string): string {
  const [first, ...rest] = relative(SRC, file).split('/');
  return rest.length ? first! : first!.replace(/\.ts$/, '');
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : name.endsWith('.ts') ? [path] : [];
  });
}

/** Every relative import and re-export, type-only and dynamic ones included. */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)].map((m) => m[1]!);
  return specs.map((s) => resolve(dirname(file), s.replace(/\.js$/, '.ts')));
}

interface Edge {
  file: string;
  from: string;
  to: string;
}

const edges: Edge[] = sources(SRC).flatMap((file) => imports(file).map((target) => ({ file, from: partOf(file), to: partOf(target) })));

/** The imports that break the rule, in words. */
function wrongWay(list: readonly Edge[]): string[] {
  return list
    .filter((e) => e.from !== e.to && !(layerOf.get(e.to)! < layerOf.get(e.from)!))
    .map(
      (e) => `${relative(SRC, e.file)} imports ${e.to} (${e.from} is layer ${layerOf.get(e.from)}, ${e.to} is layer ${layerOf.get(e.to)})`,
    );
}

describe('the layers of src/', () => {
  it('places every part of src/ in a layer', () => {
    const parts = [...new Set(sources(SRC).map(partOf))].sort();
    expect(parts.filter((p) => !layerOf.has(p))).toEqual([]);
    expect(edges.length).toBeGreaterThan(100); // the reader found the imports
  });

  it('has no import pointing up or sideways', () => {
    expect(wrongWay(edges)).toEqual([]);
  });

  it('has no cycle between parts', () => {
    const graph = new Map<string, Set<string>>();
    for (const e of edges) if (e.from !== e.to) graph.set(e.from, (graph.get(e.from) ?? new Set()).add(e.to));
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (part: string, path: string[]) => {
      if (state.get(part) === 'done') return;
      if (state.get(part) === 'open') return void cycles.push([...path, part].join(' -> '));
      state.set(part, 'open');
      for (const next of graph.get(part) ?? []) visit(next, [...path, part]);
      state.set(part, 'done');
    };
    for (const part of graph.keys()) visit(part, []);
    expect(cycles).toEqual([]);
  });

  it('names a wrong-way import: up, or sideways between parts of one layer', () => {
    const file = join(SRC, 'store/publish.ts');
    expect(
      wrongWay([
        { file, from: 'store', to: 'ingest' },
        { file, from: 'ingest', to: 'estimate' },
        { file, from: 'store', to: 'domain' },
      ]),
    ).toEqual([
      'store/publish.ts imports ingest (store is layer 3, ingest is layer 4)',
      'store/publish.ts imports estimate (ingest is layer 4, estimate is layer 4)',
    ]);
  });
});
