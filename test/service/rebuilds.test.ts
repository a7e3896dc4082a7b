/**
 * Rebuild jobs: queued, run one at a time, their state readable by id (and kept in the store); a server
 * with no rebuild configured says so; bad inputs are problems.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startService, type TestService, TOKENS } from './support.js';

let svc: TestService;
let plain: TestService;
const asked: string[] = [];
beforeAll(async () => {
  svc = await startService({
    rebuild: async (image) => {
      asked.push(image);
      if (image.endsWith(':broken')) throw new Error('the Dockerfile has no stage with a package manager');
      return { action: 'created', url: 'https://github.example/o/r/pull/1' };
    },
  });
  plain = await startService();
});
afterAll(async () => {
  await svc?.close();
  await plain?.close();
});

const submit = (s: TestService, body: unknown) =>
  s.call('POST', '/v1/rebuilds', { token: TOKENS['rebuilds:write'], body });
const state = async (s: TestService, id: string) => {
  for (let i = 0; i < 100; i++) {
    const r = await s.call('GET', `/v1/rebuilds/${id}`, { token: TOKENS['rebuilds:write'] });
    if (r.json.state === 'succeeded' || r.json.state === 'failed') return r;
    await new Promise((res) => setTimeout(res, 20));
  }
  throw new Error('the job did not finish');
};

test('a job is accepted (202), runs, and its result is readable', async () => {
  const r = await submit(svc, { image: 'example.com/shop/checkout:1' });
  expect(r.status).toBe(202);
  expect(r.headers.get('location')).toBe(`/v1/rebuilds/${r.json.id}`);
  expect(r.json.state).toBe('queued');
  const done = await state(svc, r.json.id);
  expect(done.json).toMatchObject({ state: 'succeeded', result: { action: 'created' }, error: null });
  expect(asked).toContain('example.com/shop/checkout:1');
});

test('a job that fails says why', async () => {
  const r = await submit(svc, { image: 'example.com/shop/checkout:broken' });
  const done = await state(svc, r.json.id);
  expect(done.json).toMatchObject({ state: 'failed', result: null });
  expect(done.json.error).toContain('no stage with a package manager');
});

test('unknown job: 404 problem; bad id: 400; bad image: 422; unknown field: 400', async () => {
  const missing = await svc.call('GET', '/v1/rebuilds/00000000-0000-4000-8000-000000000000', {
    token: TOKENS.all,
  });
  expect(missing.status).toBe(404);
  expect(missing.type).toMatch(/^application\/problem\+json/);
  expect((await svc.call('GET', '/v1/rebuilds/nope', { token: TOKENS.all })).status).toBe(400);
  expect((await submit(svc, { image: 'Foo/Bar::1' })).status).toBe(422);
  expect((await submit(svc, { image: 'a/b:1', branch: 'x' })).status).toBe(400);
});

test('a server with no rebuild configured answers 422 saying so', async () => {
  const r = await submit(plain, { image: 'example.com/shop/checkout:1' });
  expect(r.status).toBe(422);
  expect(r.json.type).toBe('urn:driftgate:problem:rebuilds-not-configured');
});
