import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ParsedFindings, parseFindingsText } from '../../engine/findings/parse.js';

export const TESTDATA = join(import.meta.dirname, '../../testdata/findings');

export function readTestdata(name: string): string {
  return readFileSync(join(TESTDATA, name), 'utf8');
}

export function parseTestdata(name: string): ParsedFindings {
  return parseFindingsText(readTestdata(name), name);
}

/** Runs `fn` and returns what it threw (failing the test if it did not throw). */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error, but none was thrown');
}
