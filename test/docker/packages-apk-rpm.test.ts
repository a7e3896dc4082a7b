/**
 * Issue #13 point 2 on real containers with apk and rpm databases, end to end through the CLI:
 * `driftgate findings --docker-container` attributes the added files to packages by the CONTAINER's
 * apk or rpm database, with the packages that depend on each (`requiredBy`), and `driftgate gate` with a
 * bake rule for the top package decides its dependencies' files `bake` under that package, while a
 * package nothing installed-by-the-rule needs stays a violation.
 *
 * rpm: real `.rpm` files built by Debian's rpmbuild in an image built by the real Docker engine, then
 * installed in the running container by real rpm (`rpm -i --nodeps`: Debian has no rpm repositories to
 * satisfy rpmlib/shell requirements against, and the test is about the graph rpm records, not rpm's
 * solver). The rpmdb is SQLite at /var/lib/rpm (Debian's rpm defaults to ~/.rpmdb, so it is named).
 *
 * apk: no apk-tools is installable here (Debian has none, and there is no Alpine network), so what
 * `apk add curl jq` leaves behind is written by this test: the installed database in apk-tools' own
 * format (src/database.c, apk_db_fdb_write: `P:`/`V:`/`A:`/`D:`/`p:`/`F:`/`R:` records, as in
 * testdata/packages/apk/installed) and the files it lists, copied into the running container with
 * `docker cp` — the same changes an `apk add` makes, seen through the same `docker diff`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFindingsText } from '../../engine/findings/parse.js';
import { runCli } from './cli-run.js';
import {
  BUSYBOX,
  busyboxDockerfile,
  DEBIAN_BASE,
  docker,
  EngineScratch,
  requireDocker,
  uniqueName,
} from './engine-fixture.js';

const scratch = new EngineScratch();

interface Decision {
  binary: { path: string };
  outcome: string;
  broughtBy?: string;
  rule: { id: string } | null;
  runtimePackage?: { manager: string; name: string; version?: string };
}

/** `driftgate findings` of the container, then `driftgate gate` with one bake rule; the gate's JSON. */
async function findingsAndGate(
  container: string,
  image: string,
  rule: { manager: string; name: string; path: string },
) {
  const dir = await scratch.tempDir();
  const findings = join(dir, 'findings.ndjson');
  expect(await runCli(['findings', '--docker-container', container, '--output', findings])).toEqual({
    code: 0,
  });
  const parsed = parseFindingsText(await readFile(findings, 'utf8'), findings);
  const policy = join(dir, 'policy.yaml');
  await writeFile(
    policy,
    [
      'apiVersion: driftgate.dev/v1',
      'kind: DriftPolicy',
      'metadata: { name: app, owner: team-test }',
      'spec:',
      '  rules:',
      `    - id: bake-${rule.name}`,
      '      action: bake',
      `      paths: ["${rule.path}"]`,
      `      package: { manager: ${rule.manager}, name: ${rule.name} }`,
      `      reason: the app needs ${rule.name}`,
      '',
    ].join('\n'),
  );
  const report = join(dir, 'report.json');
  const gate = await runCli([
    'gate',
    '--policy',
    policy,
    '--findings',
    findings,
    '--image',
    image,
    '--format',
    'json',
    '--output',
    report,
  ]);
  const evaluation = JSON.parse(await readFile(report, 'utf8')) as { verdict: string; decisions: Decision[] };
  const at = (path: string) => evaluation.decisions.find((d) => d.binary.path === path);
  return { gate, evaluation, at, findings: parsed.findings };
}

afterAll(() => scratch.cleanup());

// ---------------------------------------------------------------------------------------------- rpm
const spec = (name: string, version: string, files: string[], extra: string[] = []) =>
  [
    `Name: ${name}`,
    `Version: ${version}`,
    'Release: 1',
    `Summary: ${name} for driftgate's dependency tests`,
    'License: Apache-2.0',
    'BuildArch: noarch',
    'AutoReqProv: no',
    ...extra,
    '%global debug_package %{nil}',
    '%description',
    `${name}.`,
    '%install',
    ...files.map(
      (f) =>
        `mkdir -p %{buildroot}$(dirname ${f}) && printf '#!/bin/sh\\necho ${name}\\n' > %{buildroot}${f} && chmod 0755 %{buildroot}${f}`,
    ),
    '%files',
    ...files,
    '',
  ].join('\n');

const RPM_PACKAGES: Record<string, string> = {
  'dg-base': spec('dg-base', '1.0', ['/usr/lib64/dg/libdgbase.so.1']),
  // Requires dg-base by name and version; provides a soname the tool requires.
  'dg-runtime': spec(
    'dg-runtime',
    '1.0',
    ['/usr/lib64/dg/libdgrt.so.1'],
    ['Requires: dg-base >= 1.0', 'Provides: libdgrt.so.1()(64bit)'],
  ),
  'dg-helper': spec('dg-helper', '2.0', ['/usr/libexec/dg-helper']),
  // The package the rule bakes: a soname and a file requirement.
  'dg-tool': spec(
    'dg-tool',
    '3.0',
    ['/usr/bin/dg-tool'],
    ['Requires: libdgrt.so.1()(64bit)', 'Requires: /usr/libexec/dg-helper'],
  ),
  // Installed in the same container, needed by nothing the rule installs.
  'dg-other': spec('dg-other', '1.0', ['/usr/bin/dg-other'], ['Requires: dg-base']),
};
const RPM = "rpm --define '_db_backend sqlite' --dbpath /var/lib/rpm";

describe('rpm: a container where real rpm installed real packages', () => {
  let tag: string;
  let container: string;

  beforeAll(async () => {
    await requireDocker({ debian: true });
    tag = `${uniqueName('rpm').replace('driftgate-test-', 'driftgate-test/')}:1.0`;
    const files: Record<string, { text: string }> = {};
    for (const [name, text] of Object.entries(RPM_PACKAGES)) files[`${name}.spec`] = { text };
    await scratch.build(
      tag,
      [
        `FROM ${DEBIAN_BASE}`,
        'RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends rpm >/dev/null && rm -rf /var/lib/apt/lists/*',
        'COPY *.spec /specs/',
        // Built in the image, so the container's diff holds only what `rpm -i` did.
        "RUN for s in /specs/*.spec; do rpmbuild --define '_topdir /tmp/rpmbuild' --define '__os_install_post %{nil}' --define '_build_id_links none' -bb $s >/dev/null 2>&1 || exit 1; done && mkdir /rpms && mv /tmp/rpmbuild/RPMS/noarch/*.rpm /rpms/ && rm -rf /tmp/rpmbuild",
        `RUN ${RPM} --initdb`,
        '',
      ].join('\n'),
      files,
      'host',
    );
    container = await scratch.run(tag, ['sleep', 'infinity']);
    await docker(['exec', container, 'sh', '-c', `${RPM} -i --nodeps /rpms/*.rpm 2>/dev/null`]);
  }, 600_000);

  it('findings attribute each file to its rpm package, with the packages that require it', async () => {
    const { findings } = await findingsAndGate(container, tag, {
      manager: 'dnf',
      name: 'dg-tool',
      path: '/usr/bin/dg-tool',
    });
    const pkg = (path: string) => findings.find((f) => f.binary.path === path)?.package;
    expect(pkg('/usr/bin/dg-tool')).toEqual({
      manager: 'rpm',
      name: 'dg-tool',
      version: '3.0-1',
      requiredBy: [],
    });
    expect(pkg('/usr/lib64/dg/libdgrt.so.1')).toEqual({
      manager: 'rpm',
      name: 'dg-runtime',
      version: '1.0-1',
      requiredBy: ['dg-tool'],
    });
    expect(pkg('/usr/libexec/dg-helper')?.requiredBy).toEqual(['dg-tool']);
    expect(pkg('/usr/lib64/dg/libdgbase.so.1')?.requiredBy).toEqual(['dg-other', 'dg-runtime', 'dg-tool']);
  }, 180_000);

  it('the gate bakes the dependencies’ files under dg-tool; the unrelated package stays a violation', async () => {
    const { gate, evaluation, at } = await findingsAndGate(container, tag, {
      manager: 'dnf',
      name: 'dg-tool',
      path: '/usr/bin/dg-tool',
    });
    for (const path of [
      '/usr/bin/dg-tool',
      '/usr/lib64/dg/libdgrt.so.1',
      '/usr/libexec/dg-helper',
      '/usr/lib64/dg/libdgbase.so.1',
    ]) {
      expect(at(path), path).toMatchObject({
        outcome: 'bake',
        broughtBy: 'dg-tool',
        rule: { id: 'bake-dg-tool' },
      });
    }
    expect(at('/usr/lib64/dg/libdgrt.so.1')?.runtimePackage).toEqual({
      manager: 'rpm',
      name: 'dg-runtime',
      version: '1.0-1',
    });
    expect(at('/usr/bin/dg-other')).toMatchObject({ outcome: 'violation', rule: null });
    expect(evaluation.verdict).toBe('fail');
    expect(gate).toEqual({ code: 1 });
  }, 180_000);
});

// ---------------------------------------------------------------------------------------------- apk
const ELF = (what: string) =>
  Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.from(` ${what}\n`)]);

/** The image's own database: what an Alpine base has before `apk add`. */
const APK_BASE = [
  'P:musl\nV:1.2.5-r0\nA:x86_64\np:so:libc.musl-x86_64.so.1=1\nF:lib\nR:ld-musl-x86_64.so.1\nR:libc.musl-x86_64.so.1\n',
  'P:busybox\nV:1.36.1-r29\nA:x86_64\nD:so:libc.musl-x86_64.so.1\np:cmd:busybox=1.36.1-r29\nF:bin\nR:busybox\n',
  'P:busybox-binsh\nV:1.36.1-r29\nA:x86_64\nD:busybox=1.36.1-r29\np:/bin/sh cmd:sh=1.36.1-r29\nF:bin\nR:sh\n',
];
/** What `apk add curl jq` appends (records as Alpine 3.20 ships them, trimmed to one file each). */
const APK_ADDED = [
  'P:ca-certificates-bundle\nV:20240705-r0\nA:x86_64\nF:etc/ssl/certs\nR:ca-certificates.crt\n',
  'P:zlib\nV:1.3.1-r1\nA:x86_64\nD:so:libc.musl-x86_64.so.1\np:so:libz.so.1=1.3.1\nF:lib\nR:libz.so.1.3.1\n',
  'P:libcurl\nV:8.9.1-r1\nA:x86_64\nD:ca-certificates-bundle so:libc.musl-x86_64.so.1 so:libz.so.1\np:so:libcurl.so.4=4.8.0\nF:usr/lib\nR:libcurl.so.4.8.0\n',
  'P:curl\nV:8.9.1-r1\nA:x86_64\nD:ca-certificates-bundle so:libc.musl-x86_64.so.1 so:libcurl.so.4 so:libz.so.1 !curl-legacy\np:cmd:curl=8.9.1-r1\nF:usr/bin\nR:curl\n',
  'P:oniguruma\nV:6.9.9-r0\nA:x86_64\nD:so:libc.musl-x86_64.so.1\np:so:libonig.so.5=5.4.0\nF:usr/lib\nR:libonig.so.5.4.0\n',
  'P:jq\nV:1.7.1-r0\nA:x86_64\nD:so:libc.musl-x86_64.so.1 so:libonig.so.5\np:cmd:jq=1.7.1-r0\nF:usr/bin\nR:jq\n',
  // `apk add --virtual .build-deps curl jq` records this: a name no policy can spell, so never a dependent.
  'P:.build-deps\nV:20261206.051600\nA:noarch\nD:curl jq\n',
];
const APK_FILES: Array<[string, Buffer, number]> = [
  ['/etc/ssl/certs/ca-certificates.crt', Buffer.from('-----BEGIN CERTIFICATE-----\n'), 0o644],
  ['/lib/libz.so.1.3.1', ELF('zlib'), 0o755],
  ['/usr/lib/libcurl.so.4.8.0', ELF('libcurl'), 0o755],
  ['/usr/bin/curl', ELF('curl'), 0o755],
  ['/usr/lib/libonig.so.5.4.0', ELF('oniguruma'), 0o755],
  ['/usr/bin/jq', ELF('jq'), 0o755],
];

describe('apk: a container whose apk database and files changed as `apk add curl jq` changes them', () => {
  let tag: string;
  let container: string;

  beforeAll(async () => {
    await requireDocker();
    tag = `${uniqueName('apk').replace('driftgate-test-', 'driftgate-test/')}:1.0`;
    await scratch.build(tag, `${busyboxDockerfile()}COPY installed /lib/apk/db/installed\n`, {
      busybox: { from: BUSYBOX },
      installed: { text: APK_BASE.join('\n') },
    });
    container = await scratch.run(tag, ['/bin/busybox', 'sleep', '100000']);
    const dir = await scratch.tempDir();
    const sh = (cmd: string) => docker(['exec', container, '/bin/busybox', 'sh', '-c', cmd]);
    for (const [path, bytes, mode] of APK_FILES) {
      const local = join(dir, path.replaceAll('/', '_'));
      await writeFile(local, bytes, { mode });
      await sh(`/bin/busybox mkdir -p ${path.slice(0, path.lastIndexOf('/'))}`);
      await docker(['cp', local, `${container}:${path}`]);
      await sh(`/bin/busybox chmod ${mode.toString(8)} ${path}`);
    }
    const db = join(dir, 'installed');
    await writeFile(db, [...APK_BASE, ...APK_ADDED].join('\n'));
    await docker(['cp', db, `${container}:/lib/apk/db/installed`]);
  }, 300_000);

  it('findings attribute each file to its apk package, with what depends on it (so: provides)', async () => {
    const { findings } = await findingsAndGate(container, tag, {
      manager: 'apk',
      name: 'curl',
      path: '/usr/bin/curl',
    });
    const pkg = (path: string) => findings.find((f) => f.binary.path === path)?.package;
    expect(pkg('/usr/lib/libcurl.so.4.8.0')).toEqual({
      manager: 'apk',
      name: 'libcurl',
      version: '8.9.1-r1',
      requiredBy: ['curl'],
    });
    expect(pkg('/lib/libz.so.1.3.1')?.requiredBy).toEqual(['curl', 'libcurl']);
    expect(pkg('/usr/lib/libonig.so.5.4.0')?.requiredBy).toEqual(['jq']);
    expect(pkg('/usr/bin/curl')?.requiredBy).toEqual([]); // not the virtual .build-deps
    expect(pkg('/usr/bin/jq')?.requiredBy).toEqual([]);
  }, 180_000);

  it('the gate bakes libcurl and zlib under curl; jq and its library stay violations', async () => {
    const { gate, evaluation, at } = await findingsAndGate(container, tag, {
      manager: 'apk',
      name: 'curl',
      path: '/usr/bin/curl',
    });
    for (const path of ['/usr/bin/curl', '/usr/lib/libcurl.so.4.8.0', '/lib/libz.so.1.3.1']) {
      expect(at(path), path).toMatchObject({ outcome: 'bake', broughtBy: 'curl', rule: { id: 'bake-curl' } });
    }
    for (const path of ['/usr/bin/jq', '/usr/lib/libonig.so.5.4.0']) {
      expect(at(path), path).toMatchObject({ outcome: 'violation', rule: null });
    }
    expect(evaluation.verdict).toBe('fail');
    expect(gate).toEqual({ code: 1 });
  }, 180_000);
});
