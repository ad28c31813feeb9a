// The dashboard is the API's first client: a typed client generated from openapi.yaml, nothing else.
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './openapi.js';

export type Schemas = components['schemas'];
export type Problem = Schemas['Problem'];

const KEY_ITEM = 'darkpool-radar.api-key';

/** The API key lives in this browser session only (sessionStorage), never on disk or in the URL. */
export const apiKey = {
  get: () => sessionStorage.getItem(KEY_ITEM),
  set: (key: string) => sessionStorage.setItem(KEY_ITEM, key),
  clear: () => sessionStorage.removeItem(KEY_ITEM),
};

const withKey: Middleware = {
  onRequest({ request }) {
    const key = apiKey.get();
    if (key) request.headers.set('Authorization', `Bearer ${key}`);
    return request;
  },
};

export const api = createClient<paths, `application/${string}json`>({ baseUrl: location.origin });
api.use(withKey);

/** A failed call: `status` 0 when the network failed, else the HTTP status with its problem. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | null,
  ) {
    super(problem?.detail ?? (status === 0 ? 'The server could not be reached.' : `HTTP ${status}`));
  }
}

/** Unwraps an openapi-fetch answer: the data, or an ApiError. */
export async function call<T>(request: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let answer: { data?: T; error?: unknown; response: Response };
  try {
    answer = await request;
  } catch {
    throw new ApiError(0, null);
  }
  if (answer.data !== undefined) return answer.data;
  throw new ApiError(answer.response.status, (answer.error as Problem | undefined) ?? null);
}

/** The URL of the JSON a figure comes from, to link to it. */
export function jsonUrl(path: string, query: Record<string, string | number | undefined> = {}): string {
  const q = Object.entries(query).filter(([, v]) => v !== undefined && v !== '');
  return q.length ? `${path}?${new URLSearchParams(q.map(([k, v]) => [k, String(v)]))}` : path;
}
