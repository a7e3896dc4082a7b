import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Evaluation } from '../../engine/evaluate/types.js';
import { type FormatContext, formatEvaluation } from '../../engine/formats/index.js';
import { artifactUri } from '../../engine/formats/sarif.js';
import { decision, evaluation, HOSTILE_PATH, mixedEvaluation, POLICIES, RULES } from './fixtures.js';
import { ACTIVE_CHAR, hostileString } from './hostile.js';

const baseCtx: FormatContext = {
  policies: POLICIES,
  toolVersion: '0.1.0',
  dockerfiles: { 'checkout/curl-healthcheck': { path: 'services/checkout/Dockerfile', line: 7 } },
};
// biome-ignore lint/suspicious/noExplicitAny: SARIF is read back as untyped JSON
const sarif = (ev: Evaluation, ctx: Partial<FormatContext> = {}): any =>
  JSON.parse(formatEvaluation(ev, 'sarif', { ...baseCtx, ...ctx }));

const schema = JSON.parse(
  readFileSync(new URL('../schemas/sarif-schema-2.1.0.json', import.meta.url), 'utf8'),
);
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats.default(ajv);
const validate = ajv.compile(schema);

function expectSchemaValid(log: unknown) {
  const ok = validate(log);
  expect(ok ? [] : validate.errors).toEqual([]);
}

describe('--format sarif', () => {
  it('is valid against the official SARIF 2.1.0 schema', () => {
    expectSchemaValid(sarif(mixedEvaluation()));
    expectSchemaValid(sarif(evaluation([], { verdict: 'pass' })));
  });

  it('the schema check itself rejects a broken log (so the test above can fail)', () => {
    const log = sarif(mixedEvaluation());
    log.runs[0].results[0].level = 'fatal';
    expect(validate(log)).toBe(false);
  });

  it('describes the tool and four stable rules, always in the same order', () => {
    const { driver } = sarif(mixedEvaluation()).runs[0].tool;
    expect(driver.name).toBe('driftgate');
    expect(driver.version).toBe('0.1.0');
    expect(driver.informationUri).toMatch(/^https:\/\//);
    const ids = ['driftgate/malicious', 'driftgate/violation', 'driftgate/unknown', 'driftgate/bake'];
    expect(driver.rules.map((r: { id: string }) => r.id)).toEqual(ids);
    const empty = sarif(evaluation([], { verdict: 'pass' })).runs[0];
    expect(empty.tool.driver.rules.map((r: { id: string }) => r.id)).toEqual(ids);
    expect(empty.results).toEqual([]);
  });

  it('reports only problems, each with its rule, level and index', () => {
    const results = sarif(mixedEvaluation()).runs[0].results;
    expect(
      results.map((r: { ruleId: string; level: string; ruleIndex: number }) => [
        r.ruleId,
        r.level,
        r.ruleIndex,
      ]),
    ).toEqual([
      ['driftgate/malicious', 'error', 0],
      ['driftgate/violation', 'error', 1],
      ['driftgate/violation', 'warning', 1], // warn-mode policy: does not fail the gate
      ['driftgate/unknown', 'warning', 2],
      ['driftgate/bake', 'note', 3],
    ]);
  });

  it("locates results on the policy rule's line, a bake on its Dockerfile line, and rule-less ones on the image's Dockerfile", () => {
    const results = sarif(mixedEvaluation()).runs[0].results;
    const where = (r: {
      locations: Array<{
        physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } };
      }>;
    }) =>
      `${r.locations[0]!.physicalLocation.artifactLocation.uri}:${r.locations[0]!.physicalLocation.region.startLine}`;
    expect(results.map(where)).toEqual([
      // malicious, no rule: the Dockerfile that the bake rules of the policy naming the image edit, as a file
      'services/checkout/Dockerfile:1',
      'policies/checkout.yaml:30',
      'policies/payments.yaml:9',
      'services/checkout/Dockerfile:1', // unknown, no rule
      'services/checkout/Dockerfile:7',
    ]);
    // The caller may name the image's Dockerfile itself.
    expect(where(sarif(mixedEvaluation(), { imageDockerfile: 'app/Dockerfile' }).runs[0].results[0])).toBe(
      'app/Dockerfile:1',
    );
    // A governing policy with no bake rule names no Dockerfile: its `rules:` line, where the missing rule
    // would go, never the document's first (`apiVersion:`) line.
    const noBakes = {
      ...POLICIES[1]!,
      rules: [],
      rulesPos: { file: 'policies/checkout.yaml', line: 12, column: 3 },
    };
    expect(where(sarif(mixedEvaluation(), { policies: [noBakes] }).runs[0].results[0])).toBe(
      'policies/checkout.yaml:12',
    );
    // Without the Dockerfile position, the bake lands on its rule.
    const noDockerfiles = sarif(mixedEvaluation(), { dockerfiles: undefined }).runs[0].results;
    expect(where(noDockerfiles[4])).toBe(`policies/checkout.yaml:${RULES.bake.line}`);
    // A policy without match.images governs every image; with no policy at all, the Dockerfile.
    const ev = evaluation([decision('violation')]);
    expect(where(sarif(ev, { policies: [{ ...POLICIES[0]!, match: {} }] }).runs[0].results[0])).toBe(
      'policies/payments.yaml:1',
    );
    expect(where(sarif(ev, { policies: [] }).runs[0].results[0])).toBe('Dockerfile:1');
  });

  it('writes relative URIs with forward slashes, percent-encoded', () => {
    expect(artifactUri('policies\\team a\\x#1.yaml')).toBe('policies/team%20a/x%231.yaml');
    expect(artifactUri('./policies/checkout.yaml')).toBe('policies/checkout.yaml');
    expect(artifactUri('/work/repo/policies/c.yaml', '/work/repo/')).toBe('policies/c.yaml');
    expect(artifactUri('/elsewhere/c.yaml', '/work/repo')).toBe('file:///elsewhere/c.yaml');
    const ev = evaluation([
      decision('violation', { rule: { ...RULES.deny, file: '/src/app/policies/x y.yaml' } }),
    ]);
    const uri = sarif(ev, { sourceRoot: '/src/app' }).runs[0].results[0].locations[0].physicalLocation
      .artifactLocation.uri;
    expect(uri).toBe('policies/x%20y.yaml');
  });

  it('fingerprints each result by its decision id, so an alert survives rule edits and reruns', () => {
    const a = sarif(mixedEvaluation()).runs[0].results[1];
    const edited = mixedEvaluation();
    edited.decisions[1] = {
      ...edited.decisions[1]!,
      rule: { ...RULES.deny, id: 'renamed', line: 99 },
      count: 9,
    };
    const b = sarif(edited).runs[0].results[1];
    expect(a.partialFingerprints).toEqual({ 'driftgateDecision/v1': mixedEvaluation().decisions[1]!.id });
    expect(b.partialFingerprints).toEqual(a.partialFingerprints);
    expect(b.ruleId).toBe(a.ruleId);
  });

  it('carries drift, count, workloads and the policy rule as properties', () => {
    const r = sarif(mixedEvaluation()).runs[0].results[1];
    expect(r.properties).toMatchObject({
      outcome: 'violation',
      drift: 'added',
      failsGate: true,
      path: '/usr/bin/nc',
      policyRule: 'checkout/no-network-tools',
      count: 4,
      workloads: [{ cluster: 'shop-prod', namespace: 'checkout', pod: 'checkout-2', container: 'checkout' }],
    });
  });

  it('keeps hostile text inert in messages: no control characters, no embedded links', () => {
    const r = sarif(mixedEvaluation()).runs[0].results[0];
    expect(r.message.text).not.toMatch(ACTIVE_CHAR);
    expect(r.message.text).toContain('\\x1b');
    expect(r.message.text).not.toMatch(/(^|[^\\])\[/);
    expect(r.message.text).toContain('\\[x\\](javascript:alert(1))');
    // Properties are data: the exact path is kept for machines (JSON escapes the controls).
    expect(r.properties.path).toBe(HOSTILE_PATH);
  });

  it('stays schema-valid whatever a finding or policy path holds', () => {
    fc.assert(
      fc.property(hostileString, hostileString, (path, text) => {
        const ev = evaluation([
          decision('violation', {
            binary: { path },
            reason: text,
            rule: { ...RULES.deny, file: text || 'p.yaml' },
          }),
          decision('bake', { rule: RULES.bake }),
        ]);
        const log = sarif(ev, { dockerfiles: { [`checkout/${RULES.bake.id}`]: { path, line: 0 } } });
        expectSchemaValid(log);
        for (const r of log.runs[0].results) expect(r.message.text).not.toMatch(ACTIVE_CHAR);
      }),
      { numRuns: 150 },
    );
  });
});

describe('--format sarif, checked by the SARIF Multitool (rules of the SARIF spec and of GitHub code scanning)', () => {
  const require = createRequire(import.meta.url);
  // The platform package exports the path of the self-contained binary; calling it directly avoids the npx
  // wrapper, which passes arguments through a shell.
  const multitool: string = require('@microsoft/sarif-multitool-linux');
  const dir = mkdtempSync(join(tmpdir(), 'driftgate-sarif-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs `validate --rule-kind <kind>` and returns the problems it reports at error or warning level. */
  function multitoolProblems(log: unknown, kind: 'Sarif' | 'Gh'): string[] {
    const input = join(dir, `in-${kind}.sarif`);
    const output = join(dir, `out-${kind}.sarif`);
    writeFileSync(input, JSON.stringify(log, null, 2));
    execFileSync(
      multitool,
      [
        'validate',
        input,
        '--rule-kind',
        kind,
        '--level',
        'Error;Warning',
        '--output',
        output,
        '--log',
        'ForceOverwrite',
      ],
      { stdio: 'pipe', timeout: 50_000 },
    );
    const report = JSON.parse(readFileSync(output, 'utf8'));
    return (report.runs[0].results ?? []).map(
      (r: { ruleId: string; level?: string; message: { arguments?: string[] } }) =>
        `${r.level ?? 'warning'} ${r.ruleId} ${(r.message.arguments ?? []).join(' ')}`,
    );
  }

  it('finds no error or warning under the SARIF rules', () => {
    expect(multitoolProblems(sarif(mixedEvaluation()), 'Sarif')).toEqual([]);
  });

  it('finds no error or warning under the GitHub code scanning rules', () => {
    expect(multitoolProblems(sarif(mixedEvaluation()), 'Gh')).toEqual([]);
  });

  it('does report a result GitHub would reject (so the checks above can fail)', () => {
    const log = sarif(mixedEvaluation());
    delete log.runs[0].results[0].locations;
    expect(multitoolProblems(log, 'Gh').some((p) => p.startsWith('error GH'))).toBe(true);
  });
});
