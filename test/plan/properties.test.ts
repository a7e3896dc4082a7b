/**
 * Invariants of the planner over generated Dockerfiles (LF or CRLF, `\` or backtick escape, several
 * stages, every install layout): it never throws, it changes only the stages a rule targets, the
 * result re-parses to the same stages, planning again changes nothing, and binary paths (hostile
 * evidence) never reach the file.
 */
import { DockerfileParser } from 'dockerfile-ast';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { PackageManagerName } from '../../engine/image/types.js';
import { type BakeItem, planDockerfile, unifiedDiff } from '../../engine/plan/index.js';
import { bakeItem, HOSTILE_BINARIES } from './helpers.js';

interface Base {
  image: string;
  manager: PackageManagerName | null;
}

const BASES: Base[] = [
  { image: 'debian:12', manager: 'apt' },
  { image: 'ubuntu:24.04', manager: 'apt' },
  { image: 'python:3.12-slim', manager: 'apt' },
  { image: 'alpine:3.20', manager: 'apk' },
  { image: 'registry.access.redhat.com/ubi9/ubi-minimal:9.4', manager: 'microdnf' },
  { image: 'fedora:40', manager: 'dnf' },
  { image: 'rockylinux:9', manager: 'yum' },
  { image: 'gcr.io/distroless/static-debian12', manager: null },
  { image: 'scratch', manager: null },
  { image: 'mycorp/base:1', manager: null },
];
const PACKAGES = ['bash', 'ca-certificates', 'curl', 'git', 'jq', 'procps', 'tini', 'zlib'];
const MANAGERS: PackageManagerName[] = ['apt', 'apk', 'dnf', 'microdnf', 'yum'];

const INSTALL: Record<PackageManagerName, string> = {
  apt: 'apt-get install -y --no-install-recommends',
  apk: 'apk add --no-cache',
  dnf: 'dnf install -y',
  microdnf: 'microdnf install -y',
  yum: 'yum install -y',
};

/** Ways people lay out an install, as lines with `E` standing for the escape character. */
const LAYOUTS: Record<string, (cmd: string, args: string[]) => string[]> = {
  inline: (cmd, args) => [`RUN ${cmd} ${args.join(' ')}`],
  perLine: (cmd, args) => [
    `RUN ${cmd} E`,
    ...args.map((a, i) => `    ${a}${i < args.length - 1 ? ' E' : ''}`),
  ],
  perLineComment: (cmd, args) => [
    `RUN ${cmd} E`,
    '    # the tools',
    ...args.map((a) => `    ${a} E`),
    '    && echo done',
  ],
  chain: (cmd, args) => ['RUN echo start && E', `    ${cmd} ${args.join(' ')} && E`, '    echo end'],
  heredoc: (cmd, args) => ['RUN <<EOF', 'set -eux', `${cmd} ${args.join(' ')}`, 'EOF'],
  semicolon: (cmd, args) => [`RUN set -eux; ${cmd} ${args.join(' ')}; echo ok`],
};

const installRun = (manager: PackageManagerName) =>
  fc
    .record({
      pkgs: fc.uniqueArray(fc.constantFrom(...PACKAGES), { minLength: 1, maxLength: 4 }),
      layout: fc.constantFrom(...Object.values(LAYOUTS)),
      pinned: fc.boolean(),
    })
    .map(({ pkgs, layout, pinned }) => {
      const pin = (p: string) => (manager === 'apt' || manager === 'apk' ? `${p}=1.0` : `${p}-1.0.2`);
      return layout(
        INSTALL[manager],
        pkgs.map((p) => (pinned ? pin(p) : p)),
      );
    });

const other = fc.constantFrom(
  ['# a comment'],
  [''],
  ['WORKDIR /app'],
  ['ENV A=b'],
  ['ARG VERSION=1'],
  ['USER app'],
  ['USER root'],
  ['COPY . /app'],
  ['COPY --from=busybox:1 /bin/busybox /bin/busybox'],
  ['RUN echo hello E', '    world'],
  ['CMD ["run"]'],
  ['ENTRYPOINT ["/app"]'],
);

const stage = (index: number) =>
  fc.constantFrom(...BASES).chain((base) =>
    fc
      .record({
        named: fc.boolean(),
        body: fc.array(base.manager ? fc.oneof(other, installRun(base.manager)) : other, { maxLength: 6 }),
      })
      .map(({ named, body }) => ({
        name: named ? `s${index}` : null,
        manager: base.manager,
        lines: [`FROM ${base.image}${named ? ` AS s${index}` : ''}`, ...body.flat()],
      })),
  );

const dockerfile = fc
  .record({
    crlf: fc.boolean(),
    backtick: fc.boolean(),
    preamble: fc.boolean(),
    stages: fc
      .integer({ min: 1, max: 3 })
      .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => stage(i)))),
    finalEol: fc.boolean(),
  })
  .map(({ crlf, backtick, preamble, stages, finalEol }) => {
    const escapeChar = backtick ? '`' : '\\';
    const all = [
      ...(backtick ? ['# escape=`'] : []),
      ...(preamble ? ['ARG TAG=1'] : []),
      ...stages.flatMap((s) => s.lines),
    ].map((l) => l.replace(/ E$/, ` ${escapeChar}`));
    const eol = crlf ? '\r\n' : '\n';
    return {
      text: all.join(eol) + (finalEol ? eol : ''),
      names: stages.map((s) => s.name),
      managers: stages.flatMap((s) => (s.manager ? [s.manager] : [])),
    };
  });

/** Rules mostly use a manager some stage has, so that edits (not only refusals) are exercised. */
const rule = (names: Array<string | null>, managers: PackageManagerName[]) =>
  fc
    .record({
      kind: fc.constantFrom('package', 'package', 'copy'),
      manager:
        managers.length > 0
          ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...managers) }, fc.constantFrom(...MANAGERS))
          : fc.constantFrom(...MANAGERS),
      // Some names no generated file installs, so that not every rule is already satisfied.
      name: fc.constantFrom(...PACKAGES, 'strace', 'less', 'vim', 'file'),
      version: fc.option(fc.constantFrom('2.0', '1.2.3-r0'), { nil: undefined }),
      target: fc.option(fc.constantFrom(...names.filter((n): n is string => n !== null), 'missing'), {
        nil: undefined,
      }),
      src: fc.constantFrom('/bin/busybox', '/usr/bin/curl'),
    })
    .map(
      (r, i = 0): BakeItem =>
        bakeItem({
          id: `rule-${r.kind}-${r.name}-${i}`,
          ...(r.target === undefined ? {} : { target: r.target }),
          source:
            r.kind === 'copy'
              ? { kind: 'copy', from: 'busybox:1', src: r.src }
              : {
                  kind: 'package',
                  manager: r.manager,
                  name: r.name,
                  ...(r.version ? { version: r.version } : {}),
                },
          binaries: HOSTILE_BINARIES,
        }),
    );

const scenario = dockerfile.chain((df) =>
  fc.record({
    df: fc.constant(df),
    items: fc.array(rule(df.names, df.managers), { minLength: 1, maxLength: 4 }),
  }),
);

/** Each stage's text, from its FROM line to the next FROM line. */
function stageTexts(text: string): string[] {
  const lines = text.split(/(?<=\n)/);
  const starts: number[] = [];
  for (const from of DockerfileParser.parse(text).getFROMs()) starts.push(from.getRange().start.line);
  return starts.map((s, i) => lines.slice(s, starts[i + 1] ?? lines.length).join(''));
}

function targetIndex(names: Array<string | null>, target: string | undefined): number {
  return target === undefined ? names.length - 1 : names.indexOf(target);
}

describe('planDockerfile properties', () => {
  test('changes only targeted stages, re-parses, is idempotent, never writes evidence', () => {
    let edited = 0;
    let extended = 0;
    let runs = 0;
    fc.assert(
      fc.property(scenario, ({ df, items }) => {
        const plan = planDockerfile('Dockerfile', df.text, items);
        runs++;
        if (plan.edits.length > 0) edited++;
        if (plan.applied.some((a) => a.what.startsWith('added '))) extended++;
        const targeted = new Set(items.map((i) => targetIndex(df.names, i.rule.target)));

        const before = stageTexts(df.text);
        const after = stageTexts(plan.after);
        expect(after).toHaveLength(before.length);
        before.forEach((text, i) => {
          if (!targeted.has(i)) expect(after[i]).toBe(text);
        });
        expect(DockerfileParser.parse(plan.after).getEscapeCharacter()).toBe(
          DockerfileParser.parse(df.text).getEscapeCharacter(),
        );
        // A CRLF file stays CRLF: no bare LF is introduced.
        if (df.text.includes('\r\n')) expect(plan.after.replace(/\r\n/g, '')).not.toContain('\n');

        for (const b of HOSTILE_BINARIES) expect(plan.after).not.toContain(b);
        const again = planDockerfile('Dockerfile', plan.after, items);
        expect(again.edits).toEqual([]);
        expect(plan.edits.length === 0).toBe(plan.after === df.text);
        expect(unifiedDiff('Dockerfile', df.text, plan.after) === '').toBe(plan.after === df.text);
        // Every rule is accounted for: applied, unresolved, or already satisfied (planning again is a no-op).
        for (const a of plan.applied) expect(a.line).toBeGreaterThan(0);
      }),
      { numRuns: Number(process.env.PLAN_PROPERTY_RUNS ?? 300) },
    );
    // The generator must exercise the planner, not only its refusals.
    expect(edited / runs).toBeGreaterThan(0.3);
    expect(extended / runs).toBeGreaterThan(0.04);
  });
});
