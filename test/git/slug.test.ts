/**
 * Bake branch names: one per image repository, always a name git accepts, never carrying
 * characters that mean something to a shell or a URL, and distinct for distinct repositories.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { InputError } from '../../engine/errors.js';
import { runGit } from '../../integrations/git/run.js';
import { assertValidBranchName, bakeBranchName, imageSlug } from '../../integrations/git/slug.js';

async function gitAccepts(branch: string): Promise<boolean> {
  return (await runGit(['check-ref-format', `refs/heads/${branch}`], { cwd: process.cwd() })).code === 0;
}

describe('imageSlug', () => {
  test('reads like the repository it names, with a hash suffix', () => {
    const slug = imageSlug('europe-docker.pkg.dev/shop-prod/apps/checkout');
    expect(slug).toMatch(/^europe-docker\.pkg\.dev-shop-prod-apps-checkout-[0-9a-f]{8}$/);
    expect(bakeBranchName('europe-docker.pkg.dev/shop-prod/apps/checkout')).toBe(`driftgate/bake/${slug}`);
  });

  test('is stable: the same repository always gets the same branch', () => {
    expect(imageSlug('docker.io/library/nginx')).toBe(imageSlug('docker.io/library/nginx'));
  });

  test('repositories that reduce to the same text still get different branches', () => {
    expect(imageSlug('registry.example/a/b_c')).not.toBe(imageSlug('registry.example/a/b-c'));
    expect(imageSlug('Registry.example/A')).not.toBe(imageSlug('registry.example/a'));
  });

  test('hostile repository text becomes an inert name', async () => {
    for (const repo of [
      '$(touch /tmp/pwned)',
      '`id`',
      '../../etc/passwd',
      '-rf',
      '.hidden',
      'a..b@{0}',
      'x.lock',
      '',
    ]) {
      const slug = imageSlug(repo);
      expect(slug).toMatch(/^[a-z0-9][a-z0-9._-]*$/);
      expect(slug).not.toContain('..');
      expect(await gitAccepts(`driftgate/bake/${slug}`)).toBe(true);
    }
  });

  test('long repositories are bounded', () => {
    const slug = imageSlug(`registry.example/${'very-long-path/'.repeat(40)}image`);
    expect(slug.length).toBeLessThanOrEqual(57);
    expect(slug).toMatch(/-[0-9a-f]{8}$/);
  });

  test('property: every slug is lower-case [a-z0-9._-], has no "..", starts alphanumeric, and git accepts the branch', async () => {
    const samples = fc.sample(
      fc.oneof(
        fc.string({ maxLength: 120 }),
        fc.string({ unit: 'binary', maxLength: 80 }),
        fc
          .constantFrom('.', '-', '/', '..', '@{', '~', '^', ':', '\\', ' ', '*', '?', '[')
          .chain((c) =>
            fc.array(fc.constantFrom(c, 'a', 'Z', '9', '.'), { maxLength: 60 }).map((a) => a.join('')),
          ),
      ),
      { numRuns: 150, seed: 20240601 },
    );
    for (const repo of samples) {
      const slug = imageSlug(repo);
      expect(slug, repo).toMatch(/^[a-z0-9][a-z0-9._-]{0,56}$/);
      expect(slug, repo).not.toContain('..');
      expect(await gitAccepts(bakeBranchName(repo)), repo).toBe(true);
    }
  });

  test('property: distinct repositories give distinct slugs', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), (a, b) => {
        fc.pre(a !== b);
        expect(imageSlug(a)).not.toBe(imageSlug(b));
      }),
      { numRuns: 300 },
    );
  });
});

describe('assertValidBranchName', () => {
  test('accepts a bake branch and rejects names git would refuse', async () => {
    await expect(assertValidBranchName(bakeBranchName('docker.io/library/nginx'))).resolves.toBeUndefined();
    for (const bad of ['', '-x', 'a..b', 'a b', 'a~1', 'a^', 'a:b', 'x.lock', 'a/.hidden', 'a@{1}', 'a\\b']) {
      await expect(assertValidBranchName(bad), bad).rejects.toBeInstanceOf(InputError);
    }
  });
});
