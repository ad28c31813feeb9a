import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validate } from '@readme/openapi-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { FastifyInstance } from 'fastify';
import createClient from 'openapi-fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Store } from '../../src/store/store.js';
import type { paths } from '../../web/src/openapi.js';
import { appOn, seededStore } from '../support/app.js';
import { cli, removeTempDirs, tempDir } from '../support/harness.js';

const committed = readFileSync('openapi.yaml', 'utf8');

describe('the OpenAPI contract', () => {
  it('openapi.yaml is what the routes produce (run `npm run openapi:write` after changing a route)', async () => {
    const generated = await cli(['openapi'], {});
    expect(generated.code).toBe(0);
    expect(committed).toBe(generated.stdout);
  });

  it('validates as OpenAPI 3.1', async () => {
    const result = await validate(parse(committed));
    expect(result).toMatchObject({ valid: true });
    expect(parse(committed).openapi).toBe('3.1.0');
  });

  it('the typed client in web/src (the dashboard uses it) is generated from openapi.yaml (same command as openapi:write)', () => {
    const out = join(tempDir(), 'openapi.d.ts');
    execFileSync('node_modules/.bin/openapi-typescript', ['openapi.yaml', '-o', out], { stdio: 'ignore' });
    expect(readFileSync('web/src/openapi.d.ts', 'utf8')).toBe(readFileSync(out, 'utf8'));
  });
});

describe('the index at /', () => {
  it('lists every operation of the OpenAPI document, and nothing it leaves out', async () => {
    const store = await seededStore();
    const app = await appOn(store);
    const index = (await app.inject({ url: '/' })).json() as { endpoints: string[] };
    const documented = Object.entries(parse(committed).paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((m) => ['get', 'post'].includes(m))
        .map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect([...index.endpoints].sort()).toEqual(documented.sort());
    await app.close();
    store.close();
  });
});

describe('a client generated from openapi.yaml, against a running server', () => {
  let app: FastifyInstance;
  let store: Store;
  let baseUrl: string;
  const ajv = new Ajv2020({ strict: false });
  ajv.addSchema({ $id: 'openapi', ...parse(committed) });
  const conforms = (component: string, body: unknown) => {
    const check = ajv.compile({ $ref: `openapi#/components/schemas/${component}` });
    const ok = check(body);
    return ok ? [] : check.errors;
  };

  beforeAll(async () => {
    store = await seededStore();
    app = await appOn(store);
    baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app.close();
    store.close();
    removeTempDirs();
  });

  it('gets typed, schema-valid answers from all five endpoints', async () => {
    // JSON and problem+json answers (the list endpoints also offer text/csv).
    const api = createClient<paths, `application/${string}json`>({ baseUrl });
    const weekly = await api.GET('/darkpool/weekly/{ticker}', { params: { path: { ticker: 'tqqq' } } });
    expect(weekly.data?.venues.length).toBe(26);
    expect(conforms('Weekly', weekly.data)).toEqual([]);

    const movers = await api.GET('/darkpool/movers/top20');
    expect(movers.data?.data).toHaveLength(20);
    expect(conforms('Movers', movers.data)).toEqual([]);

    const ratio = await api.GET('/darkpool/ratio/{ticker}', { params: { path: { ticker: 'TQQQ' } } });
    expect(ratio.data?.ats_share_of_off_exchange).toBeGreaterThan(0);
    expect(conforms('Ratio', ratio.data)).toEqual([]);

    const history = await api.GET('/darkpool/history/{ticker}', { params: { path: { ticker: 'AABB' }, query: { weeks: 2 } } });
    expect(history.data?.data.map((r) => r.week_ending)).toEqual(['2025-11-23', '2025-11-16']);
    expect(conforms('History', history.data)).toEqual([]);

    const sectors = await api.GET('/darkpool/sectors');
    expect(sectors.data?.data.length).toBeGreaterThan(0);
    expect(conforms('Sectors', sectors.data)).toEqual([]);

    const missing = await api.GET('/darkpool/weekly/{ticker}', { params: { path: { ticker: 'ZZZZZQ' } } });
    expect(missing.response.status).toBe(404);
    expect(missing.error?.code).toBe('ticker_not_found');
    expect(conforms('Problem', missing.error)).toEqual([]);
  });
});
