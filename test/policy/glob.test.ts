import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileCountingGlob, compileGlob } from '../../engine/policy/glob.js';

/**
 * An independent reference: the documented semantics written as a RegExp. Fine in a test, where the
 * patterns are generated and small; the product never builds a RegExp from user text.
 */
function reference(glob: string): RegExp {
  let re = '';
  let i = 0;
  while (i < glob.length) {
    if (glob.startsWith('**', i)) {
      let j = i + 2;
      while (glob[j] === '*') j++;
      const atSegmentStart = i === 0 || glob[i - 1] === '/';
      if (atSegmentStart && glob[j] === '/') {
        re += '(?:[\\s\\S]*/)?';
        i = j + 1;
      } else {
        re += '[\\s\\S]*';
        i = j;
      }
    } else if (glob[i] === '*') {
      re += '[^/]*';
      i++;
    } else if (glob[i] === '?') {
      re += '[^/]';
      i++;
    } else {
      re += glob[i]!.replace(/[\\^$.|+(){}[\]]/g, '\\$&');
      i++;
    }
  }
  return new RegExp(`^${re}$`);
}

const alphabet = fc.constantFrom('a', 'b', '/', '.', '*', '?', '[', '\\');
const globArb = fc.array(fc.oneof(alphabet, fc.constant('**'), fc.constant('**/')), { maxLength: 10 });
const pathArb = fc.array(fc.constantFrom('a', 'b', '/', '.', '*', '['), { maxLength: 14 });

describe('compileGlob', () => {
  const cases: Array<[string, string, boolean]> = [
    ['/usr/bin/curl', '/usr/bin/curl', true],
    ['/usr/bin/curl', '/usr/bin/curl2', false],
    ['/tmp/dbg/*', '/tmp/dbg/tool', true],
    ['/tmp/dbg/*', '/tmp/dbg/a/tool', false], // `*` does not cross `/`
    ['/tmp/dbg/*', '/tmp/dbg/', true],
    ['/tmp/**', '/tmp/a/b/c', true], // `**` does
    ['/tmp/**', '/tmp', false],
    ['**/nc', '/usr/bin/nc', true],
    ['**/nc', '/nc', true],
    ['**/nc', 'nc', true],
    ['**/nc', '/usr/bin/ncat', false],
    ['**/nc', '/usr/bin/xnc', false],
    ['/usr/**/nc', '/usr/nc', true],
    ['/usr/**/nc', '/usr/local/bin/nc', true],
    ['/usr/**/nc', '/opt/nc', false],
    ['/usr/bin/?c', '/usr/bin/nc', true],
    ['/usr/bin/?c', '/usr/bin/c', false],
    ['/a?b', '/a/b', false], // `?` is never `/`
    ['europe-docker.pkg.dev/shop-prod/apps/*', 'europe-docker.pkg.dev/shop-prod/apps/checkout', true],
    ['europe-docker.pkg.dev/shop-prod/apps/*', 'europe-docker.pkg.dev/shop-prod/apps/team/checkout', false],
    ['checkout-*', 'checkout-canary', true],
    ['checkout-*', 'checkout', false],
    ['*', '', true],
    ['', '', true],
    ['', 'x', false],
    ['/usr/bin/[ab]', '/usr/bin/[ab]', true], // no classes: brackets are literal
    ['/usr/bin/[ab]', '/usr/bin/a', false],
    ['/a.b', '/axb', false], // `.` is literal, not a regex dot
  ];
  it.each(cases)('%j on %j is %s', (glob, path, expected) => {
    expect(compileGlob(glob)(path)).toBe(expected);
  });

  it('agrees with the reference matcher on generated patterns and paths', () => {
    fc.assert(
      fc.property(globArb, pathArb, (g, p) => {
        const glob = g.join('');
        const path = p.join('');
        expect(compileGlob(glob)(path)).toBe(reference(glob).test(path));
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees with the reference on paths built to match (so positives are exercised too)', () => {
    // Instantiate each glob token with a concrete piece: the result must match.
    const piece = fc.oneof(
      fc.record({ g: fc.constantFrom('a', '/', 'b'), p: fc.constant('') }).map(({ g }) => ({ g, p: g })),
      fc.stringMatching(/^[ab]{0,3}$/).map((p) => ({ g: '*', p })),
      fc.stringMatching(/^[ab/]{0,4}$/).map((p) => ({ g: '**', p })),
      fc.constantFrom('a', 'b').map((p) => ({ g: '?', p })),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), (pieces) => {
        const glob = pieces.map((x) => x.g).join('');
        const path = pieces.map((x) => x.p).join('');
        expect(reference(glob).test(path)).toBe(true);
        expect(compileGlob(glob)(path)).toBe(true);
      }),
    );
  });
});

describe('compileGlob cost', () => {
  // Counted in steps (state visits), never in time: the bound is linear in the path for a fixed pattern.
  const adversarial = [
    '*a*a*a*a*a*b',
    '**a**a**a**a**b',
    '**/**/**/**/x',
    '*?*?*?*?*?b',
    'a*a*a*a*a*a*a*a*a*',
  ];

  it.each(adversarial)('%j stays within (n+1)·(m+1)·4 steps on long near-misses', (glob) => {
    const match = compileCountingGlob(glob);
    for (const n of [100, 1000, 10_000]) {
      for (const path of ['a'.repeat(n), `${'a/'.repeat(n / 2)}`, `${'a'.repeat(n - 1)}c`]) {
        match(path);
        expect(match.lastSteps).toBeLessThanOrEqual((path.length + 1) * (glob.length + 2) * 4);
      }
    }
  });

  it('grows linearly: ten times the input costs at most about ten times the steps', () => {
    const match = compileCountingGlob('*a*a*a*a*a*b');
    match('a'.repeat(1000));
    const small = match.lastSteps;
    match('a'.repeat(10_000));
    expect(match.lastSteps).toBeLessThanOrEqual(small * 11);
    expect(match.lastSteps).toBeGreaterThan(small * 5); // it did the work; a counter that stays 0 would fail here
  });

  it('bounds every generated pattern and path', () => {
    fc.assert(
      fc.property(globArb, fc.array(fc.constantFrom('a', 'b', '/'), { maxLength: 200 }), (g, p) => {
        const glob = g.join('');
        const path = p.join('');
        const match = compileCountingGlob(glob);
        match(path);
        expect(match.lastSteps).toBeLessThanOrEqual((path.length + 1) * (glob.length + 2) * 4);
      }),
      { numRuns: 500 },
    );
  });
});
