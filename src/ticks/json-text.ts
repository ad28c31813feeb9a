// A value as JSON.stringify writes it (pretty, `JSON.stringify(value, null, 2)`, or compact),
// handed out in chunks as it is made. A tape report's text runs to hundreds of megabytes for a
// whole market's day, nearly all of it candles: written this way, no candle needs an object kept
// for it, and the whole text never sits in memory, as a string or encoded (nor could it: V8's
// strings stop at 2^29 - 24 characters).

/**
 * Chunks stay under 128 KB: V8 keeps a longer string in its large-object space, freed only by a full
 * collection, and megabyte chunks piled up there (a whole market's report: 2.9 GB peak and 13.4 s
 * with 1 MB chunks, 2.0 GB and 9.8 s with these).
 */
const CHUNK_CHARS = 1 << 16;
const BATCH_CHARS = 1 << 15;

export type JsonSpace = 0 | 2;

/** What separates the tokens: newlines and two spaces per level, or nothing. */
interface Layout {
  step: string;
  newline: string;
  colon: string;
}

const LAYOUTS: Record<JsonSpace, Layout> = {
  0: { step: '', newline: '', colon: ':' },
  2: { step: '  ', newline: '\n', colon: ': ' },
};

/**
 * An array written item by item, each made only as it is written. The items are flat records of one
 * shape (the same keys in the same order, values strings, numbers, booleans or null), as one
 * function's object literal makes them; JSON.stringify gives the same text for the array of them.
 * `members`, if given, writes a record's members itself, each value after its key's text in `keys`
 * (comma, line break and indent included), with no object made: the text the record would give.
 */
export class LazyRecords<T extends Record<string, string | number | boolean | null>> {
  constructor(
    readonly length: number,
    private readonly record: (index: number) => T,
    private readonly members?: (index: number, keys: readonly string[]) => string,
  ) {}

  /** The records themselves, for a caller that wants objects. */
  toJSON(): T[] {
    return Array.from({ length: this.length }, (_, i) => this.record(i));
  }

  *text(layout: Layout, indent: string): Generator<string> {
    if (this.length === 0) return yield '[]';
    const item = `${layout.newline}${indent}${layout.step}`;
    // Every key's text with what goes before it, made once: the records share their keys.
    const keys = Object.keys(this.record(0)).map((key, k) => `${k ? ',' : ''}${item}${layout.step}${JSON.stringify(key)}${layout.colon}`);
    const end = keys.length ? `${item}}` : '}';
    // Records go out in batches: each yield passes up through every level of the value around them.
    let batch = '[';
    for (let i = 0; i < this.length; i++) {
      batch += `${i ? ',' : ''}${item}{`;
      if (this.members) batch += this.members(i, keys);
      else {
        const record = this.record(i);
        let k = 0;
        for (const key in record) batch += keys[k++]! + primitive(record[key]!);
      }
      batch += end;
      if (batch.length >= BATCH_CHARS) {
        yield batch;
        batch = '';
      }
    }
    yield `${batch}${layout.newline}${indent}]`;
  }
}

/** The value's JSON text, as JSON.stringify(value, null, space) gives it, in chunks of 64 to 128 KB. */
export function* jsonChunks(value: unknown, space: JsonSpace = 2): Generator<string> {
  let chunk = '';
  for (const text of pieces(value, LAYOUTS[space], '')) {
    chunk += text;
    if (chunk.length >= CHUNK_CHARS) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

function* pieces(value: unknown, layout: Layout, indent: string): Generator<string> {
  if (value instanceof LazyRecords) return yield* value.text(layout, indent);
  // What holds no records is written by V8's own writer: a report of thousands of symbols has their
  // statistics around their candles, and written piece by piece here they took a twentieth of its
  // time (2,000 symbols: 1,880 ms against 1,780).
  if (!holdsRecords(value)) {
    const text = JSON.stringify(value, null, layout.step) ?? 'null';
    return yield layout.newline && indent ? text.replaceAll('\n', `\n${indent}`) : text;
  }
  const inner = `${indent}${layout.step}`;
  if (Array.isArray(value)) {
    if (value.length === 0) return yield '[]';
    yield '[';
    for (let i = 0; i < value.length; i++) {
      yield `${i ? ',' : ''}${layout.newline}${inner}`;
      yield* pieces(value[i], layout, inner);
    }
    return yield `${layout.newline}${indent}]`;
  }
  // As JSON.stringify: what has no JSON text is left out of an object (and null in an array).
  const entries = Object.entries(value).filter(([, v]) => v !== undefined && typeof v !== 'function' && typeof v !== 'symbol');
  if (entries.length === 0) return yield '{}';
  yield '{';
  for (const [i, [key, v]] of entries.entries()) {
    yield `${i ? ',' : ''}${layout.newline}${inner}${JSON.stringify(key)}${layout.colon}`;
    yield* pieces(v, layout, inner);
  }
  yield `${layout.newline}${indent}}`;
}

/** Whether LazyRecords sit anywhere in the value, as JSON.stringify would reach them. */
function holdsRecords(value: unknown): value is object {
  if (value instanceof LazyRecords) return true;
  if (value === null || typeof value !== 'object' || typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
  for (const v of Array.isArray(value) ? value : Object.values(value)) if (holdsRecords(v)) return true;
  return false;
}

function primitive(v: string | number | boolean | null): string {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}
