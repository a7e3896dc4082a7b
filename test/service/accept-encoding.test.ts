/** Which clients get the deployment check's answer gzipped: those whose Accept-Encoding takes gzip. */
import { expect, test } from 'vitest';
import { acceptsGzip } from '../../service/routes/deployments.js';

test.each([
  ['gzip', true],
  ['gzip, deflate, br', true],
  ['br;q=1.0, GZIP;q=0.5', true],
  ['*', true],
  ['gzip;q=0', false],
  ['gzip; q=0, br', false],
  ['identity', false],
  ['deflate, br', false],
  ['', false],
  [undefined, false],
])('Accept-Encoding %j → gzip %s', (header, expected) => {
  expect(acceptsGzip(header)).toBe(expected);
});
