import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileRuleGlob } from '../../engine/evaluate/rules.js';
import { canonicalTime } from '../../engine/evaluate/seen-time.js';
import { compileGlob } from '../../engine/policy/glob.js';

describe('rule globs', () => {
  it('the literal prefix/suffix shortcut never changes what a glob matches', () => {
    const glob = fc
      .array(fc.constantFrom('a', 'b', '/', '*', '**', '**/', '?', '.'), { maxLength: 8 })
      .map((p) => p.join(''));
    const path = fc
      .array(fc.constantFrom('a', 'b', '/', '.', 'ab/'), { maxLength: 10 })
      .map((p) => p.join(''));
    fc.assert(
      fc.property(glob, path, (g, p) => {
        expect(compileRuleGlob(g)(p)).toBe(compileGlob(g)(p));
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps the documented matches', () => {
    expect(compileRuleGlob('**/nc')('/usr/bin/nc')).toBe(true);
    expect(compileRuleGlob('**/nc')('nc')).toBe(true);
    expect(compileRuleGlob('**/nc')('/usr/bin/ncat')).toBe(false);
    expect(compileRuleGlob('/tmp/dbg/*')('/tmp/dbg/gdb')).toBe(true);
    expect(compileRuleGlob('/tmp/dbg/*')('/tmp/dbg/x/gdb')).toBe(false);
    expect(compileRuleGlob('/opt/**')('/opt/a/b/c')).toBe(true);
  });
});

describe('seen times', () => {
  it('canonical RFC 3339 is kept as is; other spellings are converted; nonsense is undated', () => {
    expect(canonicalTime('2026-11-20T08:14:03.512Z')).toBe('2026-11-20T08:14:03.512Z');
    expect(canonicalTime('2026-11-20T09:14:03+01:00')).toBe('2026-11-20T08:14:03.000Z');
    expect(canonicalTime('yesterday')).toBeUndefined();
  });

  it('canonical times order as text exactly as they order in time', () => {
    const ms = fc.integer({
      min: Date.parse('1970-01-01T00:00:00Z'),
      max: Date.parse('2999-12-31T00:00:00Z'),
    });
    fc.assert(
      fc.property(ms, ms, (a, b) => {
        const [ta, tb] = [
          canonicalTime(new Date(a).toISOString())!,
          canonicalTime(new Date(b).toISOString())!,
        ];
        expect(ta < tb).toBe(a < b);
      }),
    );
  });
});
