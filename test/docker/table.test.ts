/** `driftgate findings --format table`: grouping for a person, and container text kept inert on a terminal. */
import { describe, expect, it } from 'vitest';
import type { DockerDiffEntry } from '../../engine/findings/docker-diff.js';
import { formatDriftTable } from '../../integrations/docker/table.js';

const base = { source: 'docker-diff' as const, container: { id: 'c1' }, image: 'registry.example/app:1' };
const entry = (path: string, extra: Partial<DockerDiffEntry> = {}): DockerDiffEntry => ({
  ...base,
  kind: 'A',
  path,
  sha256: 'ab'.repeat(32),
  size: 10,
  ...extra,
});
const apt = (name: string, version?: string) => ({ manager: 'apt', name, ...(version ? { version } : {}) });

describe('formatDriftTable', () => {
  it('groups by package, counts maintainer scripts, and lists unpackaged files one by one', () => {
    const text = formatDriftTable(
      [
        entry('/usr/bin/curl', { package: apt('curl', '7.88.1-10+deb12u12') }),
        entry('/var/lib/dpkg/info/curl.postinst', { package: apt('curl', '7.88.1-10+deb12u12') }),
        entry('/var/lib/dpkg/info/curl.prerm', { package: apt('curl', '7.88.1-10+deb12u12') }),
        entry('/var/lib/dpkg/info/libfoo:amd64.postinst', { package: apt('libfoo', '1.0') }),
        entry('/bin/ls', { kind: 'C' }),
      ],
      'web',
    );
    expect(text.split('\n')).toEqual([
      '5 executable files drifted in container web (image registry.example/app:1)',
      'curl 7.88.1-10+deb12u12: /usr/bin/curl (+2 maintainer scripts)',
      'libfoo 1.0: 1 maintainer script',
      `(no package) changed /bin/ls sha256:${'ab'.repeat(6)}`,
      '',
    ]);
  });

  it('says so when nothing drifted', () => {
    expect(formatDriftTable([], 'web')).toBe('no executable drift in container web\n');
  });

  it('never lets a path or package name from the container drive the terminal', () => {
    const text = formatDriftTable(
      [
        entry('/tmp/\u001b[2J\u001b]0;owned\u0007x', {}),
        entry('/usr/bin/y', { package: apt('evil\u001b[31m', '1\r\n2') }),
      ],
      'web',
    );
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(text.trim().split('\n')).toHaveLength(3);
  });
});
