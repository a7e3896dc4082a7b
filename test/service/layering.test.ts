/**
 * The service is an entry point beside the CLI, not on top of it: nothing under service/ (nor the engine
 * and integrations both stand on) imports cli/, so the CLI's flags, clock and output never reach a server.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from 'vitest';

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sources(path)));
    else if (e.name.endsWith('.ts')) out.push(path);
  }
  return out;
}

test.each(['service', 'engine', 'integrations'])('%s/ imports nothing from cli/', async (dir) => {
  const offenders: string[] = [];
  for (const file of await sources(dir)) {
    const text = await readFile(file, 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\()\s*'((?:\.\.\/)+cli\/[^']*)'/g))
      offenders.push(`${file}: ${m[1]}`);
  }
  expect(offenders).toEqual([]);
});
