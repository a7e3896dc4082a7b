/**
 * Realistic Dockerfiles and the edits a maintainer would have made, as golden files:
 * testdata/dockerfiles/<case>/{Dockerfile, rules.json} → expected.Dockerfile, expected.diff,
 * expected.json. Regenerate with UPDATE_GOLDEN=1 and review the diff like any code change.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { planDockerfile, unifiedDiff } from '../../engine/plan/index.js';
import { bakeItem, type RuleSpec } from './helpers.js';

const CORPUS = join(import.meta.dirname, '../../testdata/dockerfiles');
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const cases = readdirSync(CORPUS, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

function golden(dir: string, file: string, actual: string): string {
  const path = join(dir, file);
  if (UPDATE) writeFileSync(path, actual);
  if (!existsSync(path))
    throw new Error(`missing golden file ${path}; run with UPDATE_GOLDEN=1 and review it`);
  return readFileSync(path, 'utf8');
}

describe('Dockerfile corpus', () => {
  test('has the shapes issue 4 names', () => {
    expect(cases.length).toBeGreaterThanOrEqual(12);
  });

  for (const name of cases) {
    describe(name, () => {
      const dir = join(CORPUS, name);
      const before = readFileSync(join(dir, 'Dockerfile'), 'utf8');
      const specs = JSON.parse(readFileSync(join(dir, 'rules.json'), 'utf8')) as RuleSpec[];
      const items = specs.map(bakeItem);
      const plan = planDockerfile('Dockerfile', before, items);
      const diff = unifiedDiff('Dockerfile', plan.before, plan.after);

      test('edits the file as the golden file shows', () => {
        expect(plan.after).toBe(golden(dir, 'expected.Dockerfile', plan.after));
        expect(diff).toBe(golden(dir, 'expected.diff', diff));
        const report = `${JSON.stringify({ applied: plan.applied, unresolved: plan.unresolved }, null, 2)}\n`;
        expect(report).toBe(golden(dir, 'expected.json', report));
      });

      test('edits are exactly the difference between before and after', () => {
        let text = before;
        for (const e of [...plan.edits].sort((a, b) => b.offset - a.offset)) {
          text = text.slice(0, e.offset) + e.insert + text.slice(e.offset + e.deleteLength);
        }
        expect(text).toBe(plan.after);
      });

      test('planning again on the result changes nothing', () => {
        const again = planDockerfile('Dockerfile', plan.after, items);
        expect(again.edits).toEqual([]);
        expect(again.after).toBe(plan.after);
      });

      test('binary paths are evidence only and never reach the file', () => {
        for (const b of specs.flatMap((s) => s.binaries ?? [])) {
          expect(plan.after.includes(b)).toBe(false);
        }
        expect(plan.after).not.toMatch(/rm -rf \/(\s|$)|`id`|\$\(/);
        const report = JSON.stringify([plan.edits, plan.applied, plan.unresolved]);
        for (const b of specs.flatMap((s) => s.binaries ?? []))
          expect(report.includes(JSON.stringify(b).slice(1, -1))).toBe(false);
      });

      test('the diff applies with git apply', () => {
        if (diff === '') return expect(plan.after).toBe(before);
        const repo = mkdtempSync(join(tmpdir(), 'driftgate-plan-'));
        try {
          writeFileSync(join(repo, 'Dockerfile'), before);
          writeFileSync(join(repo, 'change.diff'), diff);
          execFileSync('git', ['apply', '--whitespace=nowarn', 'change.diff'], { cwd: repo, stdio: 'pipe' });
          expect(readFileSync(join(repo, 'Dockerfile'), 'utf8')).toBe(plan.after);
        } finally {
          rmSync(repo, { recursive: true, force: true });
        }
      });
    });
  }
});
