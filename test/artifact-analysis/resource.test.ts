/** The names sent to Artifact Analysis: the image's resource URL and the project. */
import { describe, expect, test } from 'vitest';
import { InputError } from '../../engine/errors.js';
import { projectParent, resourceUrlFor } from '../../integrations/artifact-analysis/index.js';

const HEX = '0123456789abcdef'.repeat(4);

describe('resourceUrlFor', () => {
  test('is https:// + normalized repository + @ + digest', () => {
    expect(resourceUrlFor('us-docker.pkg.dev/acme/apps/web', `sha256:${HEX}`)).toBe(
      `https://us-docker.pkg.dev/acme/apps/web@sha256:${HEX}`,
    );
    expect(resourceUrlFor('nginx', `sha256:${HEX.toUpperCase()}`)).toBe(
      `https://docker.io/library/nginx@sha256:${HEX}`,
    );
    expect(resourceUrlFor('GCR.io/Acme/Web', `sha256:${HEX}`)).toBe(`https://gcr.io/acme/web@sha256:${HEX}`);
  });

  const bad: Array<[string, string]> = [
    ['gcr.io/acme/web:latest', `sha256:${HEX}`],
    [`gcr.io/acme/web@sha256:${HEX}`, `sha256:${HEX}`],
    ['gcr.io/acme/web"', `sha256:${HEX}`],
    ['', `sha256:${HEX}`],
    ['gcr.io/acme/web', 'sha256:abc'],
    ['gcr.io/acme/web', `sha512:${HEX}${HEX}`],
    ['gcr.io/acme/web', HEX],
  ];
  for (const [repository, digest] of bad) {
    test(`${JSON.stringify(repository)} ${JSON.stringify(digest)} is InputError`, () => {
      expect(() => resourceUrlFor(repository, digest)).toThrow(InputError);
    });
  }
});

describe('projectParent', () => {
  test.each([
    ['acme-prod', 'projects/acme-prod'],
    ['projects/acme-prod', 'projects/acme-prod'],
    ['example.com:acme-prod', 'projects/example.com:acme-prod'],
    ['123456789012', 'projects/123456789012'],
  ])('%s → %s', (project, parent) => {
    expect(projectParent(project)).toBe(parent);
  });

  test.each([
    '',
    'acme',
    'ACME-PROD',
    '1acme-prod',
    'acme-prod-',
    'acme_prod',
    `a${'b'.repeat(30)}`,
    'projects/',
  ])('%j is InputError', (project) => {
    expect(() => projectParent(project)).toThrow(InputError);
  });
});
