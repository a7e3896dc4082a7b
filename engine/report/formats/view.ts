/** What every drift-report format says the same way: headings, labels, the week-over-week change. */
import type { Outcome } from '../../evaluate/types.js';
import type { Workload } from '../../findings/types.js';
import type { DriftReport, ReportBinary } from '../types.js';

export const OUTCOME_LABEL: Record<Outcome, string> = {
  malicious: 'malicious',
  violation: 'violation',
  unknown: 'unknown',
  bake: 'bake',
  allowed: 'allowed',
  'in-image': 'in image',
};

/** Chart and legend colours per outcome (colour-blind friendly, readable on white). */
export const OUTCOME_COLOR: Record<Outcome, string> = {
  malicious: '#7b1fa2',
  violation: '#c62828',
  unknown: '#8d6e63',
  bake: '#ef6c00',
  allowed: '#1565c0',
  'in-image': '#2e7d32',
};

export function day(iso: string): string {
  return iso.slice(0, 10);
}

/** `2026-11-21 → 2026-11-28` */
export function windowLabel(r: DriftReport): string {
  return `${day(r.window.since)} → ${day(r.window.until)}`;
}

/** `+40%`, `−25%`, `new` (nothing before), `±0%`. */
export function change(current: number, previous: number): string {
  if (previous === 0) return current === 0 ? '±0%' : 'new';
  const pct = Math.round(((current - previous) / previous) * 100);
  return pct === 0 ? '±0%' : pct > 0 ? `+${pct}%` : `−${-pct}%`;
}

export function statusLabel(b: ReportBinary): string {
  if (b.status !== 'resolved') return b.status;
  return b.resolvedBecause === 'in-image' ? 'resolved (in the current image)' : 'resolved (no longer seen)';
}

export function workloadText(w: Workload): string {
  return [w.cluster, w.namespace, w.pod ?? w.container].filter((x) => x !== undefined).join('/');
}

/** Binaries that need a person this week: not resolved, and a problem. */
export function needsAction(b: ReportBinary): boolean {
  return (
    b.status !== 'resolved' &&
    (b.outcome === 'malicious' || b.outcome === 'violation' || b.outcome === 'unknown')
  );
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Only URLs this module's builders made pass: https, no whitespace, quotes or angle brackets. */
export function safeUrl(url: string | undefined): string | undefined {
  return url !== undefined && /^https:\/\/[A-Za-z0-9\-._~:/?#[\]@!$&*+,;=%]+$/.test(url) ? url : undefined;
}

export function periodDays(r: DriftReport): number {
  return Math.max(1, Math.round((Date.parse(r.window.until) - Date.parse(r.window.since)) / 86_400_000));
}

/** `(+40% on the 7 days before: 20)`, or `(none in the 7 days before)`. */
export function comparedWithBefore(current: number, previous: number, days: number): string {
  const before = `the ${plural(days, 'day')} before`;
  return previous === 0 ? `(none in ${before})` : `(${change(current, previous)} on ${before}: ${previous})`;
}
