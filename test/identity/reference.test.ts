import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeRepository, parseImageReference } from '../../engine/identity/reference.js';

const DIGEST = `sha256:${'e32b984b1156d08755c5be1bb4c44bcc1f06beef5c3905efcdebfd712f6374be'}`;

describe('normalizeRepository', () => {
  it.each([
    ['nginx', 'docker.io/library/nginx'],
    ['nginx:1.25', 'docker.io/library/nginx'],
    ['library/nginx', 'docker.io/library/nginx'],
    ['docker.io/nginx', 'docker.io/library/nginx'],
    ['index.docker.io/library/nginx', 'docker.io/library/nginx'],
    ['registry-1.docker.io/user/app', 'docker.io/user/app'],
    ['user/app', 'docker.io/user/app'],
    ['localhost:5000/app', 'localhost:5000/app'],
    ['localhost/app:dev', 'localhost/app'],
    ['[::1]:5000/team/app', '[::1]:5000/team/app'],
    [
      'Europe-Docker.PKG.dev/Shop-Prod/Apps/Checkout:2026.11.3',
      'europe-docker.pkg.dev/shop-prod/apps/checkout',
    ],
    [`europe-docker.pkg.dev/shop-prod/apps/cart@${DIGEST}`, 'europe-docker.pkg.dev/shop-prod/apps/cart'],
    [`ghcr.io/org/app:v1@${DIGEST}`, 'ghcr.io/org/app'],
    ['gcr.io/a/b/c/d', 'gcr.io/a/b/c/d'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeRepository(input)).toBe(expected);
  });

  it.each([
    [''],
    ['https://gcr.io/app'],
    [DIGEST],
    ['nginx@sha256:short'],
    ['app:bad tag'],
    ['-leading/dash'],
    ['a//b'],
    ['trailing/'],
    ['host:99999/app'],
    ['UPPER CASE'],
    ['e32b984b1156d08755c5be1bb4c44bcc1f06beef5c3905efcdebfd712f6374be'],
    [`${'a'.repeat(300)}/app`],
  ])('%j is not a repository', (input) => {
    expect(normalizeRepository(input)).toBeUndefined();
  });

  it('keeps the tag as written and lower-cases the digest', () => {
    expect(
      parseImageReference(`localhost:5000/App:V1.2-RC@${DIGEST.toUpperCase().replace('SHA256', 'sha256')}`),
    ).toEqual({
      repository: 'localhost:5000/app',
      tag: 'V1.2-RC',
      digest: DIGEST,
    });
    expect(parseImageReference('nginx')).toEqual({ repository: 'docker.io/library/nginx' });
  });

  // No dots: a dotted first component names a registry (Docker's rule), which is a different case.
  const component = fc.stringMatching(/^[a-z0-9]{1,8}(?:(?:_|__|-+)[a-z0-9]{1,8}){0,2}$/);
  const reference = fc
    .record({
      registry: fc.option(
        fc.constantFrom('docker.io', 'index.docker.io', 'gcr.io', 'localhost:5000', 'Quay.IO'),
        {
          nil: undefined,
        },
      ),
      path: fc.array(component, { minLength: 1, maxLength: 4 }),
      tag: fc.option(fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}$/), { nil: undefined }),
      digest: fc.option(fc.stringMatching(/^[0-9a-f]{64}$/), { nil: undefined }),
    })
    .map(
      ({ registry, path, tag, digest }) =>
        `${registry ? `${registry}/` : ''}${path.join('/')}${tag ? `:${tag}` : ''}${digest ? `@sha256:${digest}` : ''}`,
    );

  it('is idempotent on every reference it accepts', () => {
    fc.assert(
      fc.property(fc.oneof(reference, fc.string(), fc.string({ unit: 'grapheme-ascii' })), (s) => {
        const once = normalizeRepository(s);
        if (once !== undefined) {
          expect(normalizeRepository(once)).toBe(once);
          expect(once).toBe(once.toLowerCase());
          expect(once).not.toMatch(/@/);
        }
      }),
    );
  });

  it('accepts every well-formed reference, whatever the tag or digest', () => {
    fc.assert(
      fc.property(reference, (s) => {
        const ref = parseImageReference(s);
        expect(ref).toBeDefined();
        expect(ref!.repository.split('/').length).toBeGreaterThanOrEqual(2);
      }),
    );
  });

  it('never throws, whatever it is given', () => {
    fc.assert(
      fc.property(fc.anything(), (v) => {
        parseImageReference(v as string);
        normalizeRepository(v as string);
      }),
    );
  });
});
