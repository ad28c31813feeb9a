// API keys, kept only as SHA-256 hashes and compared in constant time. A keys file may hold
// plaintext keys or `sha256:<hex>` entries, so that no key needs to be stored in the clear.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config.js';

const HASHED = /^sha256:([0-9a-f]{64})$/i;
export const MIN_KEY_LENGTH = 16;

export class ApiKeyError extends ConfigError {
  override name = 'ApiKeyError';
}

export class ApiKeys {
  private constructor(private readonly hashes: Buffer[]) {}

  /** From API_KEYS (comma-separated) and/or API_KEYS_FILE (one per line, # comments); null when neither is set. */
  static fromConfig(list: string[] | undefined, file: string | undefined): ApiKeys | null {
    const entries = [...(list ?? [])];
    if (file) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        throw new ApiKeyError(`API_KEYS_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
      }
      entries.push(
        ...text
          .split(/\r?\n/)
          .map((l) => l.replace(/#.*$/, '').trim())
          .filter(Boolean),
      );
    }
    // Fail closed: keys asked for but none usable must never leave the API open.
    if (!entries.length) {
      if (list === undefined && file === undefined) return null;
      const where = [list !== undefined && 'API_KEYS', file !== undefined && `API_KEYS_FILE (${file})`].filter(Boolean).join(' and ');
      throw new ApiKeyError(`${where} set but holding no usable key: refusing to start with the API open`);
    }
    const hashes = entries.map((entry, i) => {
      const hashed = HASHED.exec(entry);
      if (hashed) return Buffer.from(hashed[1]!, 'hex');
      if (entry.length < MIN_KEY_LENGTH) throw new ApiKeyError(`API key #${i + 1} is shorter than ${MIN_KEY_LENGTH} characters`);
      return sha256(entry);
    });
    return new ApiKeys(hashes);
  }

  get size(): number {
    return this.hashes.length;
  }

  /** The matching key's id (a short prefix of its hash, safe to log), or null. Every key is compared. */
  identify(presented: string | undefined): string | null {
    if (!presented) return null;
    const digest = sha256(presented);
    let match: Buffer | null = null;
    for (const h of this.hashes) if (timingSafeEqual(h, digest)) match = h;
    return match ? match.toString('hex').slice(0, 12) : null;
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** `Authorization: Bearer <key>`, else `X-API-Key: <key>`. */
export function presentedKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  const x = headers['x-api-key'];
  return typeof x === 'string' && x.trim() ? x.trim() : undefined;
}
