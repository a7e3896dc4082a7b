/** Behaviour of planDockerfile a maintainer reviewing the bake PR would notice. */
import { describe, expect, test } from 'vitest';
import { InputError } from '../../engine/errors.js';
import type { PackageManagerName } from '../../engine/image/types.js';
import { planDockerfile } from '../../engine/plan/index.js';
import { apt, bakeItem } from './helpers.js';

const pkg = (id: string, manager: PackageManagerName, name: string, target?: string, version?: string) =>
  bakeItem({
    id,
    source: { kind: 'package', manager, name, ...(version ? { version } : {}) },
    ...(target ? { target } : {}),
  });
const copy = (id: string, from: string, src: string, target?: string) =>
  bakeItem({ id, source: { kind: 'copy', from, src }, ...(target ? { target } : {}) });
const plan = (text: string, ...items: ReturnType<typeof pkg>[]) => planDockerfile('Dockerfile', text, items);
const lines = (...l: string[]) => `${l.join('\n')}\n`;

describe('which stage', () => {
  const text = lines('FROM debian:12 AS Build', 'RUN make', 'FROM debian:12 AS runtime', 'CMD ["x"]');

  test('the last stage by default', () => {
    expect(plan(text, apt('a', 'curl')).after).toBe(
      lines(
        'FROM debian:12 AS Build',
        'RUN make',
        'FROM debian:12 AS runtime',
        'RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*',
        'CMD ["x"]',
      ),
    );
  });

  test('the target stage by name, whatever its case', () => {
    const p = plan(text, apt('a', 'curl', { target: 'build' }));
    expect(p.after.split('\n')[1]).toContain('apt-get install -y --no-install-recommends curl');
    expect(p.applied).toEqual([
      { ruleId: 'a', policy: 'checkout', line: 2, what: expect.stringContaining("'Build'") },
    ]);
  });

  test('an unknown target is unresolved and nothing changes', () => {
    const p = plan(text, apt('a', 'curl', { target: 'debug' }));
    expect(p.after).toBe(text);
    expect(p.unresolved).toEqual([
      { ruleId: 'a', policy: 'checkout', reason: 'no stage named "debug" (stages: Build, runtime)' },
    ]);
  });

  test('a file without FROM is unresolved', () => {
    expect(plan('# nothing\n', apt('a', 'curl')).unresolved[0]!.reason).toBe(
      'the Dockerfile has no FROM instruction',
    );
  });
});

describe('which package manager', () => {
  const newRun = (from: string, manager: PackageManagerName, name = 'curl') =>
    plan(lines(`FROM ${from}`, 'CMD ["x"]'), pkg('r', manager, name));

  test.each([
    ['alpine:3.20', 'apk', 'RUN apk add --no-cache curl'],
    ['node:20-alpine', 'apk', 'RUN apk add --no-cache curl'],
    ['python:3.12-slim', 'apt', 'RUN apt-get update && apt-get install -y --no-install-recommends curl'],
    [
      'registry.access.redhat.com/ubi9/ubi-minimal:9.4',
      'microdnf',
      'RUN microdnf install -y curl && microdnf clean all',
    ],
    ['registry.access.redhat.com/ubi9/ubi:9.4', 'dnf', 'RUN dnf install -y curl && dnf clean all'],
    ['centos:7', 'yum', 'RUN yum install -y curl && yum clean all'],
    ['fedora:40', 'dnf', 'RUN dnf install -y curl && dnf clean all'],
  ] as const)('FROM %s takes %s: %s', (from, manager, idiom) => {
    const p = newRun(from, manager);
    expect(p.unresolved).toEqual([]);
    expect(p.after.split('\n')[1]).toContain(idiom);
  });

  test.each([
    [
      'debian:12',
      'apk',
      'the rule installs with apk but stage #1 (FROM debian:12) installs with apt (judging by its base image)',
    ],
    [
      'alpine:3',
      'apt',
      'the rule installs with apt but stage #1 (FROM alpine:3) installs with apk (judging by its base image)',
    ],
    [
      'registry.access.redhat.com/ubi9/ubi-minimal',
      'dnf',
      'the rule installs with dnf but stage #1 (FROM registry.access.redhat.com/ubi9/ubi-minimal) installs with microdnf (judging by its base image)',
    ],
    [
      'gcr.io/distroless/static',
      'apt',
      'stage #1 (FROM gcr.io/distroless/static) has no package manager; use a copy rule',
    ],
    ['scratch', 'apk', 'stage #1 (FROM scratch) has no package manager; use a copy rule'],
    ['registry.access.redhat.com/ubi9/ubi-micro', 'microdnf', 'has no package manager'],
  ] as const)('FROM %s refuses a %s rule', (from, manager, reason) => {
    const p = newRun(from, manager);
    expect(p.after).toBe(lines(`FROM ${from}`, 'CMD ["x"]'));
    expect(p.unresolved[0]!.reason).toContain(reason);
  });

  test("the stage's own RUN lines win over the image name", () => {
    const text = lines('FROM mycorp/base:1', 'RUN apk add --no-cache bash', 'CMD ["x"]');
    expect(plan(text, pkg('r', 'apt', 'curl')).unresolved[0]!.reason).toBe(
      'the rule installs with apt but stage #1 (FROM mycorp/base:1) uses apk',
    );
    expect(plan(text, pkg('r', 'apk', 'curl')).after).toContain('apk add --no-cache bash curl');
  });

  test('a stage built FROM an earlier stage uses that stage’s manager', () => {
    const text = lines('FROM alpine:3 AS base', 'FROM base AS app', 'CMD ["x"]');
    expect(plan(text, pkg('r', 'apt', 'curl')).unresolved[0]!.reason).toContain(
      'installs with apk (judging by its base image)',
    );
  });

  test('an unknown base image trusts the rule and says so', () => {
    const p = newRun('mycorp/base:1', 'apt');
    expect(p.after).toContain('RUN apt-get update && apt-get install -y --no-install-recommends curl');
    expect(p.applied[0]!.what).toContain('not known; trusting the rule');
  });

  test('ARG defaults before FROM name the base image', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Dockerfile build arg, not a JS template
    const p = plan(lines('ARG BASE=alpine:3.20', 'FROM ${BASE}', 'CMD ["x"]'), pkg('r', 'apt', 'curl'));
    expect(p.unresolved[0]!.reason).toContain('(FROM alpine:3.20)');
  });
});

describe('adding to an existing install', () => {
  test('an inline list grows on its line', () => {
    const p = plan(
      lines('FROM debian:12', 'RUN apt-get update && apt-get install -y zlib1g curl && apt-get clean'),
      apt('a', 'jq'),
    );
    expect(p.after).toBe(
      lines('FROM debian:12', 'RUN apt-get update && apt-get install -y zlib1g curl jq && apt-get clean'),
    );
  });

  test('a sorted inline list stays sorted', () => {
    const p = plan(
      lines('FROM debian:12', 'RUN apt-get install -y bash curl zsh'),
      apt('a', 'jq'),
      apt('b', 'ash'),
    );
    expect(p.after).toBe(lines('FROM debian:12', 'RUN apt-get install -y ash bash curl jq zsh'));
  });

  test('a single package on its own continuation line gets a sibling line', () => {
    const p = plan(lines('FROM alpine:3', 'RUN apk add --no-cache \\', '\tbash'), pkg('a', 'apk', 'curl'));
    expect(p.after).toBe(lines('FROM alpine:3', 'RUN apk add --no-cache \\', '\tbash \\', '\tcurl'));
  });

  test('only the install command of a chain is touched, flags and other commands stay', () => {
    const text = lines(
      'FROM debian:12',
      'RUN apt-get update -qq \\',
      '    && DEBIAN_FRONTEND=noninteractive apt-get -o Dpkg::Use-Pty=0 install -y --no-install-recommends git \\',
      '    && git config --global init.defaultBranch main',
    );
    expect(plan(text, apt('a', 'openssh-client')).after).toBe(
      text.replace('--no-install-recommends git', '--no-install-recommends git openssh-client'),
    );
  });

  test('packages of an apk --virtual group (deleted later) are not joined; a new RUN follows', () => {
    const text = lines(
      'FROM alpine:3',
      'RUN apk add --no-cache --virtual .build-deps gcc && make && apk del .build-deps',
      'USER app',
    );
    expect(plan(text, pkg('a', 'apk', 'curl')).after).toBe(
      lines(
        'FROM alpine:3',
        'RUN apk add --no-cache --virtual .build-deps gcc && make && apk del .build-deps',
        'RUN apk add --no-cache curl',
        'USER app',
      ),
    );
  });

  test('a JSON-form RUN is left alone, but read', () => {
    const text = lines('FROM debian:12', 'RUN ["apt-get", "install", "-y", "git"]');
    expect(plan(text, apt('a', 'git')).edits).toEqual([]);
    expect(plan(text, apt('a', 'curl')).after).toBe(
      `${text}RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\n`,
    );
  });

  test('a package already installed in the stage needs nothing, even at another version', () => {
    const text = lines('FROM debian:12', 'RUN apt-get install -y curl=7.88.1-10 git');
    const p = plan(text, apt('a', 'curl', { version: '8.0' }), apt('b', 'git'));
    expect(p).toMatchObject({ after: text, edits: [], applied: [], unresolved: [] });
  });

  test('installed in another stage does not count', () => {
    const text = lines(
      'FROM debian:12 AS build',
      'RUN apt-get install -y curl',
      'FROM debian:12',
      'CMD ["x"]',
    );
    expect(plan(text, apt('a', 'curl')).edits).toHaveLength(1);
  });

  test('two rules for one package add it once and both point at its line', () => {
    const p = plan(lines('FROM debian:12', 'RUN apt-get install -y git'), apt('a', 'curl'), apt('b', 'curl'));
    expect(p.after).toBe(lines('FROM debian:12', 'RUN apt-get install -y git curl'));
    expect(p.applied.map((a) => [a.ruleId, a.line])).toEqual([
      ['a', 2],
      ['b', 2],
    ]);
  });

  test('versions are written in the manager’s pinning syntax', () => {
    expect(
      plan(lines('FROM debian:12', 'RUN apt-get install -y git'), apt('a', 'curl', { version: '7.88.*' }))
        .after,
    ).toContain('git curl=7.88.*');
    expect(
      plan(lines('FROM alpine:3', 'RUN apk add git'), pkg('a', 'apk', 'curl', undefined, '8.9.1-r0')).after,
    ).toContain('git curl=8.9.1-r0');
    expect(
      plan(lines('FROM fedora:40', 'RUN yum install -y git'), pkg('a', 'yum', 'curl', undefined, '8.6.0'))
        .after,
    ).toContain('git curl-8.6.0');
  });
});

describe('a new RUN', () => {
  test('goes after FROM and the ARG/ENV/SHELL lines that set it up, before a non-root USER', () => {
    const text = lines(
      'FROM debian:12',
      'ARG V=1',
      'ENV A=b',
      'SHELL ["/bin/bash", "-c"]',
      'USER app',
      'WORKDIR /app',
      'CMD ["x"]',
    );
    expect(plan(text, apt('a', 'curl')).after.split('\n')[4]).toMatch(/^RUN apt-get update/);
  });

  test('goes after the last package-manager RUN while the build is root', () => {
    const text = lines(
      'FROM debian:12',
      'USER app',
      'RUN make',
      'USER root',
      'RUN apt-get update && apt-get install -y --download-only git',
      'USER app',
      'CMD ["x"]',
    );
    expect(plan(text, apt('a', 'curl')).after.split('\n')[5]).toMatch(
      /^RUN apt-get update && apt-get install -y --no-/,
    );
  });

  test('moves above the USER switch when the last package-manager RUN runs as a non-root user', () => {
    const text = lines(
      'FROM debian:12',
      'RUN apt-get update',
      '# drop privileges',
      'USER 1000:1000',
      'RUN sudo apt-get -v',
      'CMD ["x"]',
    );
    const after = plan(text, apt('a', 'curl')).after.split('\n');
    expect(after[2]).toMatch(/^RUN apt-get update && apt-get install/);
    expect(after.slice(3, 5)).toEqual(['# drop privileges', 'USER 1000:1000']);
  });

  test('USER root, 0 and root:root count as root', () => {
    for (const u of ['root', '0', 'root:root', '0:0']) {
      const text = lines('FROM debian:12', 'USER app', `USER ${u}`, 'RUN apt-get -v', 'USER app');
      expect(plan(text, apt('a', 'curl')).after.split('\n')[4]).toMatch(/^RUN apt-get update/);
    }
  });

  test('a stage that inherits a non-root user and never switches back is unresolved', () => {
    const text = lines('FROM debian:12 AS base', 'USER app', 'FROM base', 'CMD ["x"]');
    const p = plan(text, apt('a', 'curl'));
    expect(p.after).toBe(text);
    expect(p.unresolved[0]!.reason).toContain('runs as non-root user app');
  });

  test('groups the packages of one manager in one instruction', () => {
    const p = plan(lines('FROM alpine:3', 'CMD ["x"]'), pkg('a', 'apk', 'curl'), pkg('b', 'apk', 'jq'));
    expect(p.after).toBe(lines('FROM alpine:3', 'RUN apk add --no-cache curl jq', 'CMD ["x"]'));
  });
});

describe('copy rules', () => {
  test('go after the last COPY --from, even after a non-root USER', () => {
    const text = lines('FROM scratch', 'USER 65532', 'COPY --from=build /app /app', 'ENTRYPOINT ["/app"]');
    expect(plan(text, copy('c', 'busybox:1.36', '/bin/busybox')).after).toBe(
      lines(
        'FROM scratch',
        'USER 65532',
        'COPY --from=build /app /app',
        'COPY --from=busybox:1.36 /bin/busybox /bin/busybox',
        'ENTRYPOINT ["/app"]',
      ),
    );
  });

  test('else before CMD/ENTRYPOINT and the comments on top of it', () => {
    const text = lines('FROM scratch', 'COPY app /app', '', '# run it', 'CMD ["/app"]');
    expect(plan(text, copy('c', 'busybox', '/bin/sh')).after).toBe(
      lines(
        'FROM scratch',
        'COPY app /app',
        '',
        'COPY --from=busybox /bin/sh /bin/sh',
        '# run it',
        'CMD ["/app"]',
      ),
    );
  });

  test('else at the end of the stage', () => {
    const text = lines('FROM scratch AS a', 'COPY app /app', 'FROM alpine:3', 'CMD ["x"]');
    expect(plan(text, copy('c', 'busybox', '/bin/sh', 'a')).after).toBe(
      lines(
        'FROM scratch AS a',
        'COPY app /app',
        'COPY --from=busybox /bin/sh /bin/sh',
        'FROM alpine:3',
        'CMD ["x"]',
      ),
    );
  });

  test('an identical COPY (or one into the same directory) means nothing to do', () => {
    for (const existing of ['COPY --from=busybox /bin/sh /bin/sh', 'COPY --from=BusyBox /bin/sh /bin/']) {
      const text = lines('FROM scratch', existing);
      expect(plan(text, copy('c', 'busybox', '/bin/sh')).edits).toEqual([]);
    }
  });

  test('from the stage itself or a later stage is unresolved', () => {
    const text = lines('FROM alpine AS a', 'FROM scratch AS b', 'FROM scratch AS c');
    expect(plan(text, copy('x', 'b', '/bin/sh', 'b')).unresolved[0]!.reason).toBe(
      "stage 'b' cannot copy from itself",
    );
    expect(plan(text, copy('x', 'c', '/bin/sh', 'b')).unresolved[0]!.reason).toBe(
      "stage 'c' is defined after stage 'b'; it cannot be copied from",
    );
    expect(plan(text, copy('x', 'a', '/bin/sh', 'b')).unresolved).toEqual([]);
  });
});

describe('nothing that is not a plain token is written', () => {
  const text = lines('FROM debian:12', 'RUN apt-get install -y git');

  test.each([
    ['curl\nRUN rm -rf /', undefined],
    ['-oAPT::Get::AllowUnauthenticated=1', undefined],
    ['$(id)', undefined],
    ['curl', '1.0 `id`'],
    ['curl', '1.0\r\nUSER root'],
  ])('package %j version %j', (name, version) => {
    const p = plan(text, apt('a', name, version === undefined ? {} : { version }));
    expect(p.after).toBe(text);
    expect(p.unresolved).toHaveLength(1);
    expect(p.unresolved[0]!.reason).not.toContain(name === 'curl' ? version! : name);
  });

  test.each([
    ['busybox', '/bin/sh /etc/passwd'],
    ['busybox', 'bin/sh'],
    ['busybox', '/bin/../etc/shadow'],
    ['busybox\nRUN id', '/bin/sh'],
    ['$(id)', '/bin/sh'],
    ['busybox', '/bin/`id`'],
  ])('copy from %j src %j', (from, src) => {
    const p = plan(lines('FROM scratch'), copy('c', from, src));
    expect(p.after).toBe(lines('FROM scratch'));
    expect(p.unresolved).toHaveLength(1);
  });
});

describe('the re-parse check', () => {
  test('a valid plan passes it; the check itself rejects a result that breaks a continuation', async () => {
    const { readDockerfile } = await import('../../engine/plan/dockerfile-model.js');
    const { verifyPlan } = await import('../../engine/plan/verify-plan.js');
    const text = lines('FROM debian:12', 'RUN apt-get install -y \\', '    git', 'CMD ["x"]');
    const model = readDockerfile(text);
    // Appending after `git` without a continuation turns `curl` into a new (unknown) instruction.
    const broken = text.replace('    git\n', '    git\n    curl\n');
    const insert = {
      offset: text.indexOf('    git') + 7,
      insert: '\n    curl',
      description: 'bad',
      stageIndex: 0,
      marks: [],
      expect: { kind: 'extend' as const, fileIndex: 1, words: ['curl'] },
    };
    expect(() => verifyPlan('Dockerfile', model, broken, [insert])).toThrow(InputError);
    expect(() => verifyPlan('Dockerfile', model, text.replace('git', 'git curl'), [insert])).not.toThrow();
  });

  test('a change to an untouched stage is caught', async () => {
    const { readDockerfile } = await import('../../engine/plan/dockerfile-model.js');
    const { verifyPlan } = await import('../../engine/plan/verify-plan.js');
    const text = lines('FROM debian:12 AS a', 'RUN x', 'FROM debian:12 AS b', 'RUN y');
    expect(() => verifyPlan('Dockerfile', readDockerfile(text), text.replace('RUN x', 'RUN  x'), [])).toThrow(
      /change the instruction at line 2/,
    );
  });
});
