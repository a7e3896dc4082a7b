/**
 * `--format junit`: one `<testcase>` per decision (gate.md), so CI systems that read JUnit XML show a red
 * test exactly where the gate fails and nowhere else.
 *
 * - `classname` is `driftgate.<outcome>` (CI test browsers group by it: all violations together);
 *   `name` is the binary's path, with a short sha256 added when two decisions share a path, so no two
 *   test cases collide.
 * - `<failure>` only for decisions that fail the gate (enforcing malicious, violation, failing unknown).
 *   Problems that do not fail (warn mode, `onUnknown: warn`, pending bakes) are passing test cases whose
 *   `<system-out>` starts with `WARNING`: a red test for a warning would contradict the exit code.
 *   Nothing is `<skipped>`: a skipped test reads as "not evaluated", which would be a silent pass.
 * - With no decisions the suite is empty (`tests="0"`): there was nothing to test.
 * - XML: every value is escaped (`& < > " '`) after `inert()`, and characters XML 1.0 forbids are removed,
 *   so a finding's `</testcase>` or `]]>` is text and the file always parses.
 */
import type { Decision, Evaluation } from '../evaluate/types.js';
import { inert, truncateEnd, xmlEscape, xmlEscapeMultiline } from './escape.js';
import { binaryLabel, gateEffect, hashQualifiers, ruleName, ruleWhere, workloadLabel } from './view.js';

const MAX_MESSAGE = 500;
const MAX_LIST = 20;

export function formatJunit(ev: Evaluation): string {
  const failures = ev.decisions.filter((d) => gateEffect(d) === 'fail').length;
  const tests = ev.decisions.length;
  const counts = `tests="${tests}" failures="${failures}" errors="0" skipped="0" time="0"`;
  const timestamp = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/.exec(ev.now)?.[0];
  const suiteName = `driftgate gate ${ev.image.repository}`;

  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="driftgate" ${counts}>`,
    `  <testsuite name="${xmlEscape(suiteName)}" ${counts}${timestamp ? ` timestamp="${timestamp}"` : ''}>`,
    '    <properties>',
    ...suiteProperties(ev).map(
      ([k, v]) => `      <property name="${xmlEscape(k)}" value="${xmlEscape(v)}"/>`,
    ),
    '    </properties>',
  ];
  const names = testNames(ev.decisions);
  ev.decisions.forEach((d, i) => {
    lines.push(...testCase(d, names[i]!));
  });
  lines.push('  </testsuite>', '</testsuites>');
  return `${lines.join('\n')}\n`;
}

function suiteProperties(ev: Evaluation): Array<[string, string]> {
  const s = ev.summary;
  return [
    ['verdict', ev.verdict],
    ['image.repository', ev.image.repository],
    ...(ev.image.tag === undefined ? [] : [['image.tag', ev.image.tag] as [string, string]]),
    ['image.digest', ev.image.digest],
    ...(ev.image.digestKind === undefined
      ? []
      : [['image.digestKind', ev.image.digestKind] as [string, string]]),
    ...(ev.image.os ? [['image.os', ev.image.os] as [string, string]] : []),
    ['now', ev.now],
    ['findings', String(s.findings)],
    ['decisions', String(s.decisions)],
    ['unattributed', String(s.unattributed)],
    ['otherImages', String(s.otherImages)],
    ['skipped', String(s.skipped)],
    ...ev.skipped.map((r): [string, string] => [`skipped.${r.reason}`, String(r.count)]),
    ...ev.expiringSoon.map((r): [string, string] => [`expiringSoon.${ruleName(r)}`, r.expires]),
  ];
}

/** Paths, made unique by what tells them apart where two decisions share one (view.ts `hashQualifiers`). */
function testNames(decisions: readonly Decision[]): string[] {
  const qualifiers = hashQualifiers(decisions);
  return decisions.map((d) => {
    const q = qualifiers.get(d);
    return q === undefined ? binaryLabel(d) : `${binaryLabel(d)} (${q})`;
  });
}

function testCase(d: Decision, name: string): string[] {
  const effect = gateEffect(d);
  const open = `    <testcase classname="driftgate.${d.outcome}" name="${xmlEscape(name)}" time="0">`;
  const body = xmlEscapeMultiline(details(d));
  if (effect === 'fail') {
    const message = xmlEscapeMultiline(truncateEnd(inert(d.reason), MAX_MESSAGE));
    return [
      open,
      `      <failure type="${d.outcome}" message="${message}">${body}</failure>`,
      '    </testcase>',
    ];
  }
  const prefix = effect === 'warn' ? 'WARNING (does not fail the gate): ' : '';
  return [open, `      <system-out>${xmlEscape(prefix)}${body}</system-out>`, '    </testcase>'];
}

/** The evidence, one fact per line; every value is made inert before the lines are joined. */
function details(d: Decision): string {
  const list = (values: readonly string[]) => {
    const shown = values.slice(0, MAX_LIST).map(inert).join(', ');
    return values.length > MAX_LIST ? `${shown}, and ${values.length - MAX_LIST} more` : shown;
  };
  const lines = [`${d.outcome} (drift ${d.drift}): ${inert(d.reason)}`, `path: ${inert(binaryLabel(d))}`];
  if (d.binary.resolvedPath && d.binary.resolvedPath !== d.binary.path) {
    lines.push(`resolved path: ${inert(d.binary.resolvedPath)}`);
  }
  if (d.binary.sha256) lines.push(`sha256: ${inert(d.binary.sha256)}`);
  lines.push(`rule: ${d.rule ? `${inert(ruleName(d.rule))} (${inert(ruleWhere(d.rule))})` : 'none'}`);
  lines.push(`count: ${d.count}`);
  if (d.firstSeen) lines.push(`first seen: ${inert(d.firstSeen)}`);
  if (d.lastSeen) lines.push(`last seen: ${inert(d.lastSeen)}`);
  lines.push(`sources: ${list(d.sources)}`);
  if (d.workloads.length > 0) lines.push(`workloads: ${list(d.workloads.map(workloadLabel))}`);
  if (d.findings.length > 0) lines.push(`findings: ${list(d.findings)}`);
  return lines.join('\n');
}
