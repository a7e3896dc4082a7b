import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Evaluation } from '../../engine/evaluate/types.js';
import { formatEvaluation } from '../../engine/formats/index.js';
import { decision, evaluation, HOSTILE_PATH, mixedEvaluation, POLICIES, RULES } from './fixtures.js';
import { ACTIVE_CHAR, hostileString } from './hostile.js';

const md = (ev: Evaluation) => formatEvaluation(ev, 'markdown', { policies: POLICIES, toolVersion: '0.1.0' });

/** GitHub's table scanner (cmark-gfm): a row's cells are separated by pipes not preceded by a backslash. */
function cells(row: string): string[] {
  const parts: string[] = [];
  let cell = '';
  for (let i = 0; i < row.length; i++) {
    if (row[i] === '|' && row[i - 1] !== '\\') {
      parts.push(cell);
      cell = '';
    } else cell += row[i];
  }
  parts.push(cell);
  // A row starts and ends with a pipe: drop the empty strings outside them.
  return parts.slice(1, -1).map((c) => c.trim());
}

/** Removes code spans (CommonMark: a run of N backticks up to the next run of exactly N). */
function outsideCodeSpans(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (text[i] !== '`' || text[i - 1] === '\\') {
      out += text[i];
      i++;
      continue;
    }
    let n = 0;
    while (text[i + n] === '`') n++;
    let j = i + n;
    let close = -1;
    while (j < text.length) {
      if (text[j] !== '`') {
        j++;
        continue;
      }
      let m = 0;
      while (text[j + m] === '`') m++;
      if (m === n) {
        close = j;
        break;
      }
      j += m;
    }
    if (close < 0) throw new Error(`unclosed code span at ${i}`);
    out += '<code/>';
    i = close + n;
  }
  return out;
}

/** Text outside code spans with our own markup removed: what is left must not start any Markdown/HTML. */
function strayMarkup(text: string): string[] {
  const ours = outsideCodeSpans(text)
    .replace(/<code\/>/g, '')
    .replace(/^<\/?details>$|^<summary>.*<\/summary>$/gm, '');
  const problems: string[] = [];
  for (const line of ours.split('\n')) {
    // Unescaped characters that could open HTML, links, images or autolinks.
    if (/(^|[^\\])(<|\[|\]\(|https?:|www\.)/.test(line)) problems.push(line);
    // Mentions and issue references are made after rendering, backslash or not: only the zero-width space stops them.
    if (/(?<!&)[@#](?!&#8203;)\w/.test(line)) problems.push(line);
  }
  return problems;
}

describe('--format markdown', () => {
  it('has a plain heading with the verdict, then the reason and the image', () => {
    const lines = md(mixedEvaluation()).split('\n');
    expect(lines[0]).toBe('## driftgate gate: FAIL');
    expect(lines[0]).not.toMatch(/\p{Extended_Pictographic}/u);
    expect(lines[2]).toMatch(
      /^\*\*2 decisions fail the gate\.\*\* Image ` europe-docker\.pkg\.dev\/shop-prod\/apps\/checkout@sha256:b+ ` \(debian 12\)/,
    );
  });

  it('has a table with one row of seven cells per decision, even with hostile paths and reasons', () => {
    const lines = md(mixedEvaluation()).split('\n');
    const header = lines.indexOf('| Gate | Outcome | Drift | Path | Count | Rule | Reason |');
    expect(header).toBeGreaterThan(0);
    const rows = lines.slice(header + 2).filter((l) => l.startsWith('| '));
    expect(rows).toHaveLength(7);
    for (const row of rows) expect(cells(row)).toHaveLength(7);
    expect(rows.map((r) => cells(r).slice(0, 3).join(' '))).toEqual([
      '**fail** malicious added',
      '**fail** violation added',
      'warn violation added',
      'warn unknown unknown',
      'warn bake added',
      'ok allowed added',
      'ok in-image none',
    ]);
    expect(cells(rows[1]!)).toEqual([
      '**fail**',
      'violation',
      'added',
      '` /usr/bin/nc `',
      '4',
      '` checkout/no-network-tools `',
      'violation because of reasons',
    ]);
  });

  it('puts hostile paths in code spans nobody can break out of', () => {
    const text = md(mixedEvaluation());
    // The path contains a backtick run of 1 (and `code`): the fence must be longer.
    expect(text).toContain(`\`\` /tmp/\\x1b[31mRED`);
    expect(strayMarkup(text)).toEqual([]);
    expect(text).not.toMatch(ACTIVE_CHAR);
  });

  it('neither pings @octocat nor links javascript: nor lets HTML through, in any section', () => {
    const text = md(mixedEvaluation());
    const prose = outsideCodeSpans(text);
    expect(prose).not.toMatch(/(^|[^\\])@octocat/);
    expect(prose).toContain('@&#8203;octocat');
    // `\](` is an escaped bracket, which closes no link.
    expect(prose).not.toMatch(/(^|[^\\])\]\(javascript/);
    expect(prose).toContain('\\[x\\](javascript');
    expect(prose).not.toMatch(/(^|[^\\])<script/);
    expect(prose).not.toMatch(/(^|[^\\])<\/testcase/);
  });

  it('stays inert and keeps its table shape for arbitrary hostile strings', () => {
    fc.assert(
      fc.property(hostileString, hostileString, hostileString, (path, reason, id) => {
        const ev = evaluation([
          decision('violation', {
            binary: { path, sha256: 'e'.repeat(64) },
            reason,
            rule: { policy: id, id, file: path, line: 1 },
            findings: [id],
            workloads: [{ namespace: id, pod: path }],
          }),
        ]);
        const text = md(ev);
        expect(text).not.toMatch(ACTIVE_CHAR);
        expect(strayMarkup(text)).toEqual([]);
        const row = text.split('\n').find((l) => l.startsWith('| **fail** |'))!;
        expect(cells(row)).toHaveLength(7);
      }),
      { numRuns: 200 },
    );
  });

  it('details every problem, not the decisions that need nothing', () => {
    const text = md(mixedEvaluation());
    // A pending bake is work already decided, not a problem: counted apart.
    expect(text).toContain('<summary>Details of 4 problems and 1 pending bake</summary>');
    expect(text).toContain('#### 2. ` /usr/bin/nc `');
    expect(text).toContain('- Rule: ` checkout/no-network-tools ` in ` policies/checkout.yaml:30 `');
    expect(text).toContain(
      '- Seen: 4 times, first ` 2026-11-20T10:00:00Z `, last ` 2026-11-27T10:00:00Z `; sources: ` scc `',
    );
    expect(text).not.toContain('#### 6.');
    expect(text).not.toContain('` /tmp/dbg/gdb `\n');
  });

  it('lists allow rules that expire soon', () => {
    const ev = evaluation([decision('allowed', { rule: RULES.allow })], {
      verdict: 'warn',
      expiringSoon: [{ ...RULES.allow, expires: '2026-12-01T00:00:00.000Z' }],
    });
    const text = md(ev);
    expect(text.split('\n')[2]).toMatch(/^\*\*1 allow rule expiring within 14 days\.\*\* Image /);
    expect(text).toContain(
      '- ` checkout/incident-debug ` in ` policies/checkout.yaml:22 ` expires ` 2026-12-01T00:00:00.000Z `',
    );
  });

  it('fits in a GitHub comment however many decisions there are, and says what it left out', () => {
    const many = Array.from({ length: 3000 }, (_, i) =>
      decision('violation', {
        binary: { path: `${HOSTILE_PATH}/${i}/${'`|'.repeat(100)}` },
        reason: 'x'.repeat(2000),
      }),
    );
    const text = md(evaluation(many));
    expect(text.length).toBeLessThanOrEqual(65_536);
    expect(text).toMatch(/\d+ more decisions not shown here \(size limit\); see `--format json`\./);
    expect(text).toMatch(/\d+ more decisions not detailed here \(size limit\); see `--format json`\./);
    expect(text).toContain('#### 1. ');
    expect(text.trimEnd().endsWith('</details>')).toBe(true);
  });
});
