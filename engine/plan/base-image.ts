/**
 * Which package manager a base image ships, guessed from its name and tag. Used only when a stage's
 * own RUN lines do not say (they always win).
 */
import type { ManagerFamily } from './package-managers.js';

export type BaseImageManager =
  | { kind: 'family'; family: ManagerFamily }
  /** distroless, scratch, ubi-micro: nothing to install with. */
  | { kind: 'none' }
  | { kind: 'unknown' };

const DEBIAN_CODENAMES =
  /(^|[-_.])(bookworm|bullseye|buster|stretch|trixie|sid|jammy|noble|focal|bionic|oracular)($|[-_.])/;
/** Docker official images that are built on Debian (or Ubuntu) unless the tag says otherwise. */
const DEBIAN_BASED_OFFICIAL = new Set([
  'buildpack-deps',
  'python',
  'node',
  'golang',
  'ruby',
  'rust',
  'php',
  'perl',
  'openjdk',
  'eclipse-temurin',
  'gcc',
  'maven',
  'gradle',
  'elixir',
  'erlang',
  'haskell',
  'julia',
  'r-base',
  'swift',
]);
const RPM_BASES =
  /^(fedora|rhel\d*|ubi\d*|ubi\d*-init|rockylinux|almalinux|centos|centos-stream\d*|oraclelinux|amazonlinux)$/;
const MINIMAL_RPM = /^(ubi\d*-minimal|ubi-minimal|fedora-minimal)$/;
const MICRO = /^(ubi\d*-micro|ubi-micro)$/;

export function baseImageManager(reference: string): BaseImageManager {
  const ref = reference.toLowerCase().replace(/@.*$/, '');
  if (ref.includes('$')) return { kind: 'unknown' };
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  const repo = colon > slash ? ref.slice(0, colon) : ref;
  const tag = colon > slash ? ref.slice(colon + 1) : '';
  const segments = repo.split('/');
  const last = segments[segments.length - 1]!;

  if (ref === 'scratch' || segments.some((s) => s.includes('distroless')) || MICRO.test(last)) {
    return { kind: 'none' };
  }
  if (repo.endsWith('chainguard/static')) return { kind: 'none' };
  // The tag wins over the name for variants: `node:20-alpine`, `eclipse-temurin:21-ubi9-minimal`.
  if (/alpine/.test(tag) || last.includes('alpine')) return { kind: 'family', family: 'apk' };
  if (/ubi\d*-minimal/.test(tag) || MINIMAL_RPM.test(last)) return { kind: 'family', family: 'microdnf' };
  if (/(^|-)ubi\d*($|-)/.test(tag) || RPM_BASES.test(last)) return { kind: 'family', family: 'rpm' };
  const official = /^((docker\.io|index\.docker\.io)\/)?(library\/)?[^/]+$/.test(repo);
  if (DEBIAN_CODENAMES.test(tag) || last === 'debian' || last === 'ubuntu')
    return { kind: 'family', family: 'apt' };
  if (official && DEBIAN_BASED_OFFICIAL.has(last)) return { kind: 'family', family: 'apt' };
  return { kind: 'unknown' };
}
