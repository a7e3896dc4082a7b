import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePolicyDate } from '../../engine/policy/dates.js';

describe('policy dates', () => {
  it('YYYY-MM-DD is UTC midnight', () => {
    expect(parsePolicyDate('2026-12-31')).toBe(Date.parse('2026-12-31T00:00:00Z'));
    expect(parsePolicyDate('2028-02-29')).toBe(Date.parse('2028-02-29T00:00:00Z'));
  });

  it('RFC 3339 with Z or an offset, fractions and lower-case t/z', () => {
    expect(parsePolicyDate('2026-12-31T18:30:00Z')).toBe(Date.parse('2026-12-31T18:30:00Z'));
    expect(parsePolicyDate('2026-12-31T18:30:00+01:00')).toBe(Date.parse('2026-12-31T17:30:00Z'));
    expect(parsePolicyDate('2026-12-31T18:30:00-05:30')).toBe(Date.parse('2027-01-01T00:00:00Z'));
    expect(parsePolicyDate('2026-12-31t18:30:00.250z')).toBe(Date.parse('2026-12-31T18:30:00.250Z'));
  });

  it('refuses what is not a real date in one of the two forms', () => {
    for (const bad of [
      '2026-02-29', // not a leap year
      '2026-13-01',
      '2026-00-10',
      '2026-04-31',
      '2026-12-31T24:00:00Z',
      '2026-12-31T18:30:00', // RFC 3339 needs an offset
      '2026-12-31 18:30:00Z',
      '2026-1-5',
      '31/12/2026',
      'tomorrow',
      '',
    ]) {
      expect(parsePolicyDate(bad), bad).toBeUndefined();
    }
  });

  it('agrees with the calendar for every day (round trip through toISOString)', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1970-01-01'), max: new Date('9999-12-31'), noInvalidDate: true }),
        (d) => {
          const day = d.toISOString().slice(0, 10);
          expect(new Date(parsePolicyDate(day)!).toISOString().slice(0, 10)).toBe(day);
          const instant = d.toISOString();
          expect(parsePolicyDate(instant)).toBe(d.getTime());
        },
      ),
    );
  });
});
