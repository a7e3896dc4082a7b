/**
 * `--platform os/arch[/variant]` and choosing the matching entry of an image index, with the
 * equivalences containerd applies (`arm64` is `arm64/v8`, `arm` is `arm/v7`, `x86_64` is `amd64`)
 * so that `linux/arm64` finds the `linux/arm64/v8` entry most multi-arch images publish.
 */
import { InputError } from '../../engine/errors.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export const DEFAULT_PLATFORM = 'linux/amd64';

const PART = /^[a-z0-9_.-]+$/;
const ARCH_ALIASES: Record<string, string> = {
  x86_64: 'amd64',
  'x86-64': 'amd64',
  aarch64: 'arm64',
  armhf: 'arm',
  armel: 'arm',
};
const DEFAULT_VARIANT: Record<string, string> = { arm64: 'v8', arm: 'v7' };

export function parsePlatform(text: string): Platform {
  const parts = text.toLowerCase().split('/');
  if (parts.length < 2 || parts.length > 3 || !parts.every((p) => PART.test(p))) {
    throw new InputError(
      `--platform '${text.slice(0, 80)}': expected os/arch[/variant], e.g. linux/amd64 or linux/arm64/v8`,
    );
  }
  const [os, arch, variant] = parts as [string, string, string?];
  return { os, architecture: ARCH_ALIASES[arch] ?? arch, ...(variant ? { variant } : {}) };
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter((x) => x !== undefined && x !== '').join('/');
}

function normalizedVariant(architecture: string, variant: string | undefined): string {
  return variant !== undefined && variant !== ''
    ? variant.toLowerCase()
    : (DEFAULT_VARIANT[architecture] ?? '');
}

/** Whether an index entry's platform is the one asked for. */
export function platformMatches(candidate: Partial<Platform> | undefined, wanted: Platform): boolean {
  if (!candidate || typeof candidate.os !== 'string' || typeof candidate.architecture !== 'string')
    return false;
  const arch = ARCH_ALIASES[candidate.architecture.toLowerCase()] ?? candidate.architecture.toLowerCase();
  return (
    candidate.os.toLowerCase() === wanted.os &&
    arch === wanted.architecture &&
    normalizedVariant(arch, candidate.variant) === normalizedVariant(wanted.architecture, wanted.variant)
  );
}
