/**
 * The drift report's formats on a report whose findings are hostile: Markdown keeps everything from a
 * finding inside code spans or escaped text, HTML escapes it and loads nothing, CSV neither breaks a row
 * nor starts a spreadsheet formula, JSON is the published schema.
 */
import { describe, expect, test } from 'vitest';
import { buildDriftReport } from '../../engine/report/build.js';
import { formatReport } from '../../engine/report/formats/index.js';
import { DAY, deny, finding, NOW, policy, REPO, sha } from '../evaluate/helpers.js';
import { expectValid } from './schema.js';

const HOSTILE = '/tmp/`x`|@admin #12 <script>alert(1)</script> [a](javascript:alert(1))\u202e\n# heading';
const FORMULA = '=HYPERLINK("http://evil.example","x")';

const report = buildDriftReport(
  [
    finding({
      path: HOSTILE,
      sha256: sha('h'),
      eventTime: new Date(NOW - DAY).toISOString(),
      pod: 'p"><img src=x>',
      cluster: 'c',
      namespace: 'n',
    }),
    // Not a path a normalizer lets through, but a formatter must not depend on that.
    finding({ path: FORMULA, eventTime: new Date(NOW - DAY).toISOString() }),
    finding({ path: '/usr/bin/nc', sha256: sha('nc'), eventTime: new Date(NOW - 2 * DAY).toISOString() }),
    finding({ path: FORMULA, repository: null, eventTime: new Date(NOW - DAY).toISOString() }),
  ],
  [
    policy({
      name: 'p',
      owner: 'team-<b>x</b>',
      match: { images: [REPO] },
      rules: [deny({ id: 'no-nc', paths: ['**/nc'] })],
    }),
  ],
  { now: NOW, since: NOW - 7 * DAY },
);

/** Markdown with every code span removed: what a renderer would interpret. */
function outsideCodeSpans(md: string): string {
  return md.replace(/(`+) [\s\S]*? \1/g, '');
}

describe('markdown', () => {
  const md = formatReport(report, 'markdown');
  test('names the window, the counts and the binaries to act on', () => {
    expect(md).toMatch(/^## driftgate drift report: \d{4}-\d{2}-\d{2} → \d{4}-\d{2}-\d{2}/);
    expect(md).toContain('### Act on these');
    expect(md).toContain('### Exceptions expiring in the next 14 days');
    expect(md).toContain('### Unattributed findings');
  });
  test('nothing from a finding or policy is interpreted', () => {
    const rest = outsideCodeSpans(md);
    expect(rest).not.toContain('<script>');
    expect(rest).not.toContain('<b>');
    expect(rest).not.toContain('@admin');
    expect(rest).not.toContain('javascript:');
    expect(rest).not.toMatch(/^# heading/m);
    expect(md).not.toContain('\u202e');
    // Every link is https and wrapped in <…>, built from strictly checked values.
    for (const m of md.matchAll(/\]\(<([^>]*)>\)/g)) expect(m[1]).toMatch(/^https:\/\/[^\s<>"]+$/);
  });
});

describe('html', () => {
  const html = formatReport(report, 'html');
  test('one self-contained file: no script, no external resource, a CSP that forbids loading any', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<(img|iframe|link|object|embed|source|video|audio|base|form)\b/i);
    for (const m of html.matchAll(/<a href="([^"]*)"/g)) expect(m[1]).toMatch(/^https:\/\//);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
    expect(html).toContain('id="chart-per-day"');
    expect(html).toContain('id="chart-top-binaries"');
    expect(html).toContain('id="chart-week-over-week"');
  });
  test('finding text is escaped, including in attributes', () => {
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>x</b>');
    expect(html).not.toContain('\u202e');
  });
});

describe('csv', () => {
  const csv = formatReport(report, 'csv');
  const rows = csv.trimEnd().split('\r\n');
  test('one row per decision, with a header, every row the same width', () => {
    const binaries = report.repositories.flatMap((r) => r.binaries);
    expect(rows.length).toBe(binaries.length + 1);
    expect(rows[0]).toMatch(/^repository,team,status,/);
    for (const row of rows) {
      // Quoted cells may hold commas: count the separators outside quotes.
      const width = row.replace(/"(?:[^"]|"")*"/g, '').split(',').length;
      expect(width).toBe(rows[0]!.split(',').length);
    }
  });
  test('no cell starts a formula, and no newline from a finding breaks a row', () => {
    expect(csv).not.toMatch(/(^|,)"?[=+@]/m);
    expect(csv).toContain(`"'=HYPERLINK(""http://evil.example"",""x"")"`);
    expect(rows.every((r) => !r.includes('\n'))).toBe(true);
  });
});

describe('json', () => {
  test('validates against docs/schemas/drift-report.schema.json', () => {
    expectValid(JSON.parse(formatReport(report, 'json')));
  });
});
