#!/usr/bin/env node
// Makes bookworm-main-amd64-Packages.excerpt from Debian's real Packages index (see README.md):
//
//   lz4cat /var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4 \
//     | node testdata/packages-index/make.mjs > testdata/packages-index/bookworm-main-amd64-Packages.excerpt
//
// Keeps, whole and in the index's order, the stanzas of the SEEDS and of everything they depend on
// (Depends, Pre-Depends), following the first alternative of each group that the index has (by name, else
// its first provider), and the stanzas of every other alternative, provider and Recommends named on
// the way without following them (so the tests see real alternatives, virtual packages and
// recommendations).
import { readFileSync } from 'node:fs';

const SEEDS = ['curl', 'wget', 'ca-certificates', 'netcat-openbsd'];
const text = readFileSync(0, 'utf8');
const stanzas = text.split(/\n\n+/).filter((s) => s.trim() !== '');
const field = (s, name) => {
  const m = s.match(new RegExp(`^${name}: (.*(?:\\n[ \\t].*)*)`, 'mi'));
  return m ? m[1].replace(/\n[ \t]/g, ' ') : '';
};
const groups = (v) =>
  v
    .split(',')
    .map((g) => g.split('|').map((a) => a.trim().split(/[ :(\[<]/)[0]).filter(Boolean))
    .filter((g) => g.length > 0);
const byName = new Map();
const providers = new Map();
for (const s of stanzas) {
  const name = field(s, 'Package');
  if (!byName.has(name)) byName.set(name, s);
  for (const [p] of groups(field(s, 'Provides'))) {
    if (!providers.has(p)) providers.set(p, []);
    providers.get(p).push(name);
  }
}
const keep = new Set();
const followed = new Set();
const queue = [...SEEDS];
for (let i = 0; i < queue.length; i++) {
  const name = queue[i];
  if (followed.has(name) || !byName.has(name)) continue;
  followed.add(name);
  keep.add(name);
  const s = byName.get(name);
  for (const g of groups(`${field(s, 'Pre-Depends')},${field(s, 'Depends')}`)) {
    const chosen = g.find((a) => byName.has(a)) ?? providers.get(g.find((a) => providers.has(a)))?.[0];
    if (chosen) queue.push(chosen);
    for (const a of g) {
      if (byName.has(a)) keep.add(a);
      for (const p of providers.get(a) ?? []) keep.add(p);
    }
  }
  for (const [r] of groups(field(s, 'Recommends'))) if (byName.has(r)) keep.add(r);
}
const out = stanzas.filter((s) => keep.has(field(s, 'Package')) && byName.get(field(s, 'Package')) === s);
process.stdout.write(`${out.join('\n\n')}\n`);
