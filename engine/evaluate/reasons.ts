/**
 * The `reason` of a decision: a plain sentence a person understands, naming the rule and its ticket where
 * one decided. Reasons may quote finding text (the category); formatters escape it, as they do paths.
 */
import type { Finding, UnusableBinary } from '../findings/types.js';
import type { AllowRule, Rule } from '../policy/types.js';
import type { CannotCompare, Comparison } from './drift.js';
import type { PackageCoverage } from './package-coverage.js';
import type { CompiledRule } from './rules.js';

/** `rule curl-healthcheck of policy checkout (ticket CHK-1203)` */
export function ruleName(c: CompiledRule): string {
  const ticket = c.rule.ticket ? ` (ticket ${c.rule.ticket})` : '';
  return `rule ${c.rule.id} of policy ${c.policy.name}${ticket}`;
}

function sentence(text: string): string {
  const t = text.trim();
  return /[.!?]$/.test(t) ? t : `${t}.`;
}

function because(rule: Rule): string {
  return rule.reason.trim() ? `: ${sentence(rule.reason)}` : '.';
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export const reasons = {
  maliciousCategory: (f: Finding) =>
    `The detector reported it as malicious ("${f.category}"); no rule can allow a malicious binary.`,
  maliciousIoc: (policy: string) =>
    `Its sha256 is on the IoC list of policy ${policy}; no rule can allow a malicious binary.`,
  denied: (c: CompiledRule) => `Denied by ${ruleName(c)}${because(c.rule)}`,
  allowed: (c: CompiledRule<AllowRule>) =>
    `Allowed by ${ruleName(c)} until ${c.rule.expiresText}${because(c.rule)}`,
  expired: (c: CompiledRule<AllowRule>) =>
    `${capitalized(ruleName(c))} allowed it until ${c.rule.expiresText}; that exception has expired: renew it or bake the binary.`,
  bake: (c: CompiledRule) => `To be baked into the image by ${ruleName(c)}${because(c.rule)}`,
  bakeBrought(p: PackageCoverage, attributedBy: 'finding' | 'contents-index' = 'finding'): string {
    const pkg = p.filePackage;
    const byContents = attributedBy === 'contents-index';
    const named = byContents
      ? `${pkg.name}, the one Debian package that ships this path per the Contents index`
      : pkg.version === undefined
        ? pkg.name
        : `${pkg.name} (${pkg.version})`;
    const link =
      p.via === 'itself'
        ? byContents
          ? `It belongs to ${named}, which ${ruleName(p.rule)} bakes`
          : `It belongs to ${named} in the container's package database, which ${ruleName(p.rule)} bakes`
        : p.knownFrom === 'packages-index'
          ? `It belongs to ${named}, which installing ${p.installs} brings per the Packages index (Depends/Pre-Depends), and ${ruleName(p.rule)} bakes ${p.installs}`
          : `It belongs to ${named}, a dependency of ${p.installs} in the container's package database, which ${ruleName(p.rule)} bakes`;
    return `${link}${because(p.rule.rule)}`;
  },
  /** docker diff: the file appeared; nothing says it ran. */
  addedOnly: () => 'docker diff saw this file added; no detector reported it running.',
  notDecided: (governingPolicies: readonly string[]) =>
    governingPolicies.length === 0
      ? 'Not in the image, and no policy governs it: a binary nobody decided on is a violation.'
      : `Not in the image, and no rule of ${governingPolicies.length === 1 ? 'policy' : 'policies'} ${governingPolicies.join(', ')} allows or bakes it.`,

  inImage(cmp: Extract<Comparison, { drift: 'none' }>, resolvedPath: string, hashedSize?: number): string {
    switch (cmp.by) {
      case 'sha256':
        return `The image already carries this binary at ${resolvedPath} (same sha256).`;
      case 'prefix':
        return `The image already carries this binary at ${resolvedPath} (same sha256 of the first ${hashedSize} bytes, all the detector hashed).`;
      case 'no-hash':
        return `The image has a file at ${resolvedPath}, and the finding carries no hash to tell it apart.`;
    }
  },

  modified(cmp: Extract<Comparison, { drift: 'modified' }>, resolvedPath: string, size?: number): string {
    const what =
      cmp.by === 'size'
        ? `is ${cmp.entry.size} bytes, the executed file ${size} bytes`
        : cmp.by === 'prefix'
          ? 'has a different sha256 over the bytes the detector hashed'
          : 'has a different sha256';
    return `The image's ${resolvedPath} ${what}: the binary was overwritten at runtime.`;
  },
  modifiedAllowed: (c: CompiledRule<AllowRule>) =>
    `It is allowed by ${ruleName(c)}, which pins this sha256, until ${c.rule.expiresText}${because(c.rule)}`,
  modifiedNotPinned: () => 'No allow rule pins this sha256.',

  /** Why a binary has no usable path, as a sentence: `Fileless execution: …`, `The binary path … is not absolute.` */
  unusable: (b: UnusableBinary) => `${sentence(capitalized(b.why))}`,
  unusableUnknown: () =>
    'With no usable path it cannot be compared with the image or matched by a rule, so it is unknown.',

  unknown(why: CannotCompare, resolvedPath: string, hashedSize?: number): string {
    switch (why) {
      case 'hash-unreadable':
        return `The image has ${resolvedPath}, but the finding's hash is not a sha256, so the two cannot be compared.`;
      case 'image-unhashed':
        return `The image has ${resolvedPath}, but the manifest records no sha256 for it, so the two cannot be compared.`;
      case 'prefix-unknown':
        return hashedSize === undefined
          ? `The image has ${resolvedPath}, but the detector hashed only part of the file without saying how much, so the two cannot be compared.`
          : `The image has ${resolvedPath}, but the detector hashed only its first ${hashedSize} bytes and the manifest has no hash of that prefix, so the two cannot be compared.`;
      case 'lookup-loop':
        return `The path's symbolic links loop inside the image (stopped at ${resolvedPath}), so it cannot be compared with the image.`;
    }
  },
};
