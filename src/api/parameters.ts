// One rule for every query string of the API: a parameter the route does not know is a 400 that names
// it (and, when one is close, the known one meant: WEEKS -> weeks), and a single-valued parameter given
// twice is a 400 that names it once. Silently ignoring either would answer another question than asked.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ProblemError } from './problems.js';

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

export function closest(name: string, known: readonly string[]): string | null {
  const lower = name.toLowerCase();
  const exact = known.find((k) => k.toLowerCase() === lower);
  if (exact) return exact;
  const ranked = known.map((k) => [k, distance(lower, k)] as const).sort((a, b) => a[1] - b[1]);
  return ranked[0] && ranked[0][1] <= 2 ? ranked[0][0] : null;
}

const knownOf = new WeakMap<object, readonly string[]>();

function knownParameters(schema: unknown): readonly string[] {
  if (!schema || typeof schema !== 'object') return [];
  let known = knownOf.get(schema);
  if (!known) {
    const shape = (schema as { shape?: Record<string, unknown> }).shape;
    known = shape ? Object.keys(shape) : [];
    knownOf.set(schema, known);
  }
  return known;
}

export const strictParameters = fp(async (scope: FastifyInstance) => {
  scope.addHook('preValidation', (req, _reply, done) => {
    const query = req.query as Record<string, unknown> | undefined;
    if (!query) return done();
    const known = knownParameters(req.routeOptions.schema?.querystring);
    for (const [name, value] of Object.entries(query)) {
      if (!known.includes(name)) {
        const meant = closest(name, known);
        const detail = `unknown parameter "${name}"${meant ? `; did you mean "${meant}"?` : known.length ? ` (this route takes ${known.join(', ')})` : ' (this route takes none)'}`;
        return done(new ProblemError('invalid_parameter', detail, { errors: [{ parameter: name, message: 'unknown parameter' }] }));
      }
      if (Array.isArray(value)) {
        return done(
          new ProblemError('invalid_parameter', `"${name}" is given ${value.length} times; give it once`, {
            errors: [{ parameter: name, message: 'given more than once' }],
          }),
        );
      }
    }
    done();
  });
});
