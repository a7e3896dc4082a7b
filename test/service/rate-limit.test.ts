/** Over the rate limit: 429 as a problem document; probes (health, readiness, metrics) are never limited. */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startService, type TestService, TOKENS } from './support.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startService({ rateLimitPerMinute: 3 });
});
afterAll(async () => svc?.close());

test('the fourth request in a minute is 429, a problem document', async () => {
  const answers = [];
  for (let i = 0; i < 4; i++)
    answers.push(await svc.call('GET', '/v1/findings', { token: TOKENS['reports:read'] }));
  expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
  expect(answers[3]!.type).toMatch(/^application\/problem\+json/);
  expect(answers[3]!.json.type).toBe('urn:driftgate:problem:rate-limited');
  // When to come back, and how much is left before that, as the answers said.
  expect(Number(answers[3]!.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(answers.map((a) => a.headers.get('x-ratelimit-remaining'))).toEqual(['2', '1', '0', '0']);
  expect(answers[0]!.headers.get('x-ratelimit-limit')).toBe('3');
  for (let i = 0; i < 5; i++) expect((await svc.call('GET', '/healthz')).status).toBe(200);
});
