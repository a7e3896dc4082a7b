/**
 * Package attribution from the CONTAINER's own dpkg database: `apt-get install curl netcat-openbsd` in a
 * running Debian container (apt reaches Debian's mirror with --network host), then `driftgate findings`
 * says which package each added executable came from — by the packages' file lists (through merged-/usr
 * symlinks: netcat-openbsd lists `/bin/nc.openbsd`, the container keeps `/usr/bin/nc.openbsd`) and, for
 * maintainer scripts, by their names.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DockerDiffEntry } from '../../engine/findings/docker-diff.js';
import { parseFindingsText } from '../../engine/findings/parse.js';
import { containerDrift } from '../../integrations/docker/diff.js';
import { maintainerScriptOwner } from '../../integrations/docker/maintainer-scripts.js';
import { runCli } from './cli-run.js';
import { DEBIAN_BASE, docker, EngineScratch, requireDocker } from './engine-fixture.js';

const scratch = new EngineScratch();
let container: string;
let entries: DockerDiffEntry[];
const versions: Record<string, string> = {};
let arch: string;

beforeAll(async () => {
  await requireDocker({ debian: true });
  container = await scratch.run(DEBIAN_BASE, ['sleep', 'infinity'], 'host');
  const sh = (cmd: string) => docker(['exec', container, 'sh', '-c', cmd], { timeout: 480_000 });
  await sh(
    'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends curl netcat-openbsd >/dev/null',
  );
  // An executable no package installed, next to them.
  await sh('cp /usr/bin/curl /usr/local/bin/fetch');
  arch = await sh('dpkg --print-architecture');
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own ${Field} format, not a template
  for (const line of (await sh("dpkg-query -W -f '${Package} ${Version}\\n'")).split('\n')) {
    const [name, version] = line.split(' ');
    if (name && version) versions[name] = version;
  }
  ({ entries } = await containerDrift(container, { now: new Date('2026-11-28T10:00:00Z') }));
}, 600_000);
afterAll(() => scratch.cleanup());

const at = (path: string) => entries.find((e) => e.path === path);

describe('package attribution from the container dpkg database', () => {
  it('attributes an installed program to its package, with the installed version', () => {
    expect(at('/usr/bin/curl')?.package).toEqual({
      manager: 'apt',
      name: 'curl',
      version: versions.curl,
      requiredBy: [],
    });
  });

  it('lists the packages that depend on a library package there (what brought it)', () => {
    expect(entries.find((e) => /\/libcurl\.so\.4\.\d+\.\d+$/.test(e.path))?.package?.requiredBy).toEqual([
      'curl',
    ]);
  });

  it('follows merged /usr: a file dpkg lists under /bin is found under /usr/bin', () => {
    expect(at('/usr/bin/nc.openbsd')?.package).toMatchObject({
      manager: 'apt',
      name: 'netcat-openbsd',
      version: versions['netcat-openbsd'],
    });
  });

  it('attributes libraries (ELF, not marked executable) to the library package', () => {
    const libcurl = entries.find((e) => /\/libcurl\.so\.4\.\d+\.\d+$/.test(e.path));
    expect(libcurl?.package).toMatchObject({ manager: 'apt', name: 'libcurl4', version: versions.libcurl4 });
  });

  it('attributes maintainer scripts by their names, including multi-arch ones', () => {
    expect(at('/var/lib/dpkg/info/netcat-openbsd.postinst')?.package?.name).toBe('netcat-openbsd');
    const krb = at(`/var/lib/dpkg/info/libgssapi-krb5-2:${arch}.postinst`);
    expect(krb?.package).toMatchObject({
      manager: 'apt',
      name: 'libgssapi-krb5-2',
      version: versions['libgssapi-krb5-2'],
    });
  });

  it('leaves what no package installed unattributed, and reports no symlinks', () => {
    expect(at('/usr/local/bin/fetch')).toMatchObject({ kind: 'A' });
    expect(at('/usr/local/bin/fetch')?.package).toBeUndefined();
    expect(at('/usr/bin/nc')).toBeUndefined(); // an alternatives symlink
    expect(entries.filter((e) => e.package === undefined).map((e) => e.path)).toEqual([
      '/usr/local/bin/fetch',
    ]);
  });

  it('keeps the package through the findings file the gate reads', async () => {
    const dir = await scratch.tempDir();
    const out = join(dir, 'findings.ndjson');
    expect(await runCli(['findings', '--docker-container', container, '--output', out])).toEqual({ code: 0 });
    const parsed = parseFindingsText(await readFile(out, 'utf8'), out);
    const curl = parsed.findings.find((f) => f.binary.path === '/usr/bin/curl');
    expect(curl?.package).toEqual({ manager: 'apt', name: 'curl', version: versions.curl, requiredBy: [] });
    expect(curl?.binary.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('--format table shows one row per package, scripts counted, and unpackaged files one by one', async () => {
    const dir = await scratch.tempDir();
    const out = join(dir, 'table.txt');
    await runCli(['findings', '--docker-container', container, '--format', 'table', '--output', out]);
    const lines = (await readFile(out, 'utf8')).trim().split('\n');
    expect(lines).toContain(`curl ${versions.curl}: /usr/bin/curl`);
    // netcat-openbsd also ships example scripts (`#!`): listed after the program, the rest counted.
    const netcat = lines.find((l) => l.startsWith(`netcat-openbsd ${versions['netcat-openbsd']}: `));
    expect(netcat).toMatch(
      /^netcat-openbsd \S+: \/usr\/bin\/nc\.openbsd, \/usr\/share\/doc\/netcat-openbsd\/examples\/.*, \d+ more \(\+2 maintainer scripts\)$/,
    );
    expect(lines.find((l) => l.startsWith(`libgssapi-krb5-2 ${versions['libgssapi-krb5-2']}: `))).toMatch(
      /\.so[.0-9]* \(\+2 maintainer scripts\)$/,
    );
    expect(lines.filter((l) => l.startsWith('(no package) '))).toEqual([
      expect.stringMatching(/^\(no package\) added \/usr\/local\/bin\/fetch sha256:[0-9a-f]{12}$/),
    ]);
  }, 180_000); // reads the container through the Docker engine: a minute or more on a loaded machine (a budget, not a speed test)
});

describe('maintainerScriptOwner', () => {
  it('reads the package (and architecture) from the script name, splitting at the last dot', () => {
    expect(maintainerScriptOwner('/var/lib/dpkg/info/libgtk2.0-0:amd64.postinst')).toEqual({
      name: 'libgtk2.0-0',
      arch: 'amd64',
    });
    expect(maintainerScriptOwner('/var/lib/dpkg/info/curl.prerm')).toEqual({ name: 'curl' });
    expect(maintainerScriptOwner('/var/lib/dpkg/info/curl.md5sums')).toBeUndefined();
    expect(maintainerScriptOwner('/var/lib/dpkg/info/sub/curl.postinst')).toBeUndefined();
    expect(maintainerScriptOwner('/tmp/curl.postinst')).toBeUndefined();
  });
});
