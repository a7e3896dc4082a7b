/**
 * os-release(5) text → OsRelease. Shell-style `KEY=value` lines, values optionally quoted; the file is
 * part of the image (attacker-influenced), so values are cut to one line of printable text.
 */
import type { OsRelease } from './types.js';

const MAX_VALUE = 200;

export function parseOsRelease(text: string): OsRelease | undefined {
  const values = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) values.set(m[1]!, unquote(m[2]!));
  }
  const out: OsRelease = {};
  const id = values.get('ID');
  const versionId = values.get('VERSION_ID');
  const prettyName = values.get('PRETTY_NAME');
  if (id) out.id = id;
  if (versionId) out.versionId = versionId;
  if (prettyName) out.prettyName = prettyName;
  return Object.keys(out).length > 0 ? out : undefined;
}

function unquote(value: string): string {
  let v = value;
  const q = v[0];
  if ((q === '"' || q === "'") && v.length >= 2 && v.endsWith(q)) {
    v = v.slice(1, -1);
    if (q === '"') v = v.replace(/\\([\\$"`])/g, '$1');
  }
  return v.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').slice(0, MAX_VALUE);
}
