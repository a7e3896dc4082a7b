import { describe, expect, it } from 'vitest';
import { InputError } from '../../engine/errors.js';
import { failOnResult, failsRun, parseFailOn } from '../../engine/gate/fail-on.js';
import { closestRepositories, otherImagesHint } from '../../engine/gate/other-images.js';
import { decision, evaluation } from '../formats/fixtures.js';

describe('--fail-on', () => {
  it('always includes violation, accepts comma lists and repeats, and refuses unknown names', () => {
    expect(parseFailOn([])).toEqual(['violation']);
    expect(parseFailOn(['no-findings,warn'])).toEqual(['violation', 'warn', 'no-findings']);
    expect(parseFailOn(['warn', 'warn'])).toEqual(['violation', 'warn']);
    expect(() => parseFailOn(['warning'])).toThrow(InputError);
    expect(() => parseFailOn(['warning'])).toThrow(/"warning" is not one of violation, warn, no-findings/);
  });

  it('fails a warn verdict only when asked, a fail verdict always, and no findings only when asked', () => {
    const warn = evaluation([decision('bake')], { verdict: 'warn' });
    expect(failsRun(failOnResult(warn, ['violation']))).toBe(false);
    expect(failOnResult(warn, ['violation', 'warn']).triggered).toEqual(['warn']);
    const fail = evaluation([decision('violation')], { verdict: 'fail' });
    expect(failOnResult(fail, ['violation', 'warn']).triggered).toEqual(['violation']);
    const none = evaluation([], { verdict: 'pass' });
    expect(failsRun(failOnResult(none, ['violation']))).toBe(false);
    expect(failOnResult(none, ['violation', 'no-findings']).triggered).toEqual(['no-findings']);
  });
});

describe('findings all about other images', () => {
  const others = new Map([
    ['docker.io/acme/inventory', 16],
    ['docker.io/acme/billing', 40],
    ['127.0.0.1:5055/acme/inventory-old', 2],
    ['docker.io/library/nginx', 1],
    ['quay.io/acme/inventary', 3],
  ]);

  it('names the closest repositories: same last segment first, then edit distance, at most 3', () => {
    expect(closestRepositories('127.0.0.1:5055/acme/inventory', others).map((r) => r.repository)).toEqual([
      'docker.io/acme/inventory',
      '127.0.0.1:5055/acme/inventory-old',
      'quay.io/acme/inventary',
    ]);
  });

  it('hints at --repository and --fail-on only when no finding is about the gated image', () => {
    const hint = otherImagesHint('127.0.0.1:5055/acme/inventory', 0, 62, others);
    expect(hint).toMatch(
      /^no finding is about 127\.0\.0\.1:5055\/acme\/inventory, but 62 findings are about other images; closest: docker\.io\/acme\/inventory \(16 findings\), /,
    );
    expect(hint).toContain('--repository <repo>');
    expect(hint).toContain('--fail-on no-findings');
    expect(otherImagesHint('docker.io/acme/inventory', 1, 62, others)).toBeUndefined();
    expect(otherImagesHint('docker.io/acme/inventory', 0, 0, new Map())).toBeUndefined();
  });

  it('makes repository names from findings inert', () => {
    const hint = otherImagesHint('docker.io/a/b', 0, 1, new Map([['x\u001b[31m/b', 1]]))!;
    expect(hint).not.toContain('\u001b');
  });
});
