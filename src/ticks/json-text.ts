// A value as `JSON.stringify(value, null, 2)` writes it, handed out in chunks as it is made. A tape
// report's text runs to tens of megabytes, nearly all of it candles: written this way, no candle
// needs an object of its own, and the whole text never sits in memory, as a string or encoded.

/** What the text is handed to, about a megabyte at a time. */
export type WriteText = (chunk: string) => void;

const CHUNK_CHARS = 1 << 20;

/** The text so far, handed on in chunks. */
class Chunks {
  private text = '';
  constructor(private readonly write: WriteText) {}
  push(text: string): void {
    this.text += text;
    if (this.text.length >= CHUNK_CHARS) this.flush();
  }
  flush(): void {
    if (this.text) this.write(this.text);
    this.text = '';
  }
}

/**
 * An array written item by item, each made only as it is written. The items are flat records of one
 * shape (the same keys in the same order, values strings, numbers, booleans or null), as one
 * function's object literal makes them; JSON.stringify gives the same text for the array of them.
 */
export class LazyRecords<T extends Record<string, string | number | boolean | null>> {
  constructor(
    readonly length: number,
    private readonly record: (index: number) => T,
  ) {}

  /** The records themselves, for a caller that wants objects. */
  toJSON(): T[] {
    return Array.from({ length: this.length }, (_, i) => this.record(i));
  }

  write(out: Chunks, indent: string): void {
    if (this.length === 0) return out.push('[]');
    const item = `${indent}  `;
    // Every key's text with what goes before it, made once: the records share their keys.
    let keys: string[] | null = null;
    out.push('[');
    for (let i = 0; i < this.length; i++) {
      const record = this.record(i);
      keys ??= Object.keys(record).map((key, k) => `${k ? ',' : ''}\n${item}  ${JSON.stringify(key)}: `);
      let text = `${i ? ',' : ''}\n${item}{`;
      let k = 0;
      for (const key in record) text += keys[k++]! + primitive(record[key]!);
      out.push(k ? `${text}\n${item}}` : `${text}}`);
    }
    out.push(`\n${indent}]`);
  }
}

/** `JSON.stringify(value, null, 2)`, handed to `write` in chunks; LazyRecords are written as they are made. */
export function writeJson(value: unknown, write: WriteText): void {
  const out = new Chunks(write);
  writeValue(value, out, '');
  out.flush();
}

function writeValue(value: unknown, out: Chunks, indent: string): void {
  if (value instanceof LazyRecords) return value.write(out, indent);
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON: () => unknown }).toJSON();
  }
  if (value === null || typeof value !== 'object') return out.push(JSON.stringify(value) ?? 'null');
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return out.push('[]');
    out.push('[');
    for (let i = 0; i < value.length; i++) {
      out.push(`${i ? ',' : ''}\n${inner}`);
      writeValue(value[i], out, inner);
    }
    return out.push(`\n${indent}]`);
  }
  // As JSON.stringify: what has no JSON text is left out of an object (and null in an array).
  const entries = Object.entries(value).filter(([, v]) => v !== undefined && typeof v !== 'function' && typeof v !== 'symbol');
  if (entries.length === 0) return out.push('{}');
  out.push('{');
  entries.forEach(([key, v], i) => {
    out.push(`${i ? ',' : ''}\n${inner}${JSON.stringify(key)}: `);
    writeValue(v, out, inner);
  });
  out.push(`\n${indent}}`);
}

function primitive(v: string | number | boolean | null): string {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}
