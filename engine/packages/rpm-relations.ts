/**
 * rpm's dependencies, from each installed header's REQUIRENAME (with REQUIREFLAGS) and PROVIDENAME
 * (tags 1049, 1048, 1047 in rpm's rpmtag.h). A requirement names a package, a capability some package
 * provides (`libc.so.6(GLIBC_2.34)(64bit)`, `perl(Foo::Bar)`; every package also provides its own name),
 * or a file (`/bin/sh`), which the installed package listing that path satisfies, as rpm resolves it.
 *
 * Not dependencies that bring a package: `rpmlib(...)` (features of rpm itself, RPMSENSE_RPMLIB),
 * `config(name)` (a package's own config files, always self-satisfied), requirements marked
 * RPMSENSE_MISSINGOK (old rpm's suggests hint), and rich dependencies `(a or b)` (rpm ≥ 4.13), which are
 * left out rather than guessed at: a file only such a dependency brought stays a decision of its own.
 * Versions (REQUIREVERSION) are dropped as for dpkg and apk: the database records what was installed.
 */
import { addRelations, CAPABILITY, type DependencyData, type PackageRelations } from './dependencies.js';
import type { RpmHeader } from './rpm-header.js';

const RPMSENSE_MISSINGOK = 1 << 19;
const RPMSENSE_RPMLIB = 1 << 24;

/** The requirements of a header that can bring another package along. */
export function rpmRequirements(header: RpmHeader): string[] {
  const names: string[] = [];
  for (const { name, flags = 0 } of header.requires) {
    if ((flags & (RPMSENSE_MISSINGOK | RPMSENSE_RPMLIB)) !== 0) continue;
    if (name.startsWith('rpmlib(') || name.startsWith('config(') || name.startsWith('(')) continue;
    if (CAPABILITY.test(name)) names.push(name);
  }
  return names;
}

/**
 * The dependency data of the installed headers (each counted once, as rpmDbOf counts them). A file a
 * package requires is provided by every header that lists that path, so the graph resolves it like any
 * other provide.
 */
export function rpmDependencies(headers: readonly RpmHeader[]): DependencyData {
  const requirements = headers.map(rpmRequirements);
  const requiredFiles = new Set(requirements.flat().filter((name) => name.startsWith('/')));
  const data: DependencyData = new Map();
  headers.forEach((header, i) => {
    const provides = header.provides.filter((name) => CAPABILITY.test(name));
    for (const file of header.files) if (requiredFiles.has(file.path)) provides.push(file.path);
    const relations: PackageRelations = { depends: requirements[i]!.map((name) => [name]), provides };
    addRelations(data, header.name, relations);
  });
  return data;
}
