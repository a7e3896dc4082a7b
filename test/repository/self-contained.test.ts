/**
 * Issue 12.2: the contract a user relies on lives in this repository. Earlier the README and error messages
 * sent readers to `../shared/spec/…`, a folder only the developers' machine has. These checks keep it so:
 * no tracked file names that folder, and every relative link in the Markdown a user reads resolves to a
 * file inside the repository.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/spawn-cli.js';

const TRACKED = execFileSync('git', ['ls-files', '-z'], { cwd: REPO_ROOT, encoding: 'utf8' })
  .split('\0')
  .filter((f) => f !== '' && existsSync(join(REPO_ROOT, f)));

/** Where a path escapes the repository: the developers' spec folder, by any spelling. */
function outsideReferences(text: string): string[] {
  return [...text.matchAll(/(?:\.\.\/)+shared\/[\w./-]*|\/work\/shared\b[\w./-]*/g)].map((m) => m[0]);
}

/** Relative Markdown link targets (`[text](target)`), without anchors; URLs and in-page anchors skipped. */
function relativeLinks(markdown: string): string[] {
  return [...markdown.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)]
    .map((m) => m[1]!.split('#')[0]!)
    .filter((t) => t !== '' && !/^[a-z][a-z0-9+.-]*:/i.test(t));
}

describe('the repository is self-contained', () => {
  it('recognises the references it looks for', () => {
    expect(outsideReferences('see ../shared/spec/gate.md and /work/shared/spec')).toEqual([
      '../shared/spec/gate.md',
      '/work/shared/spec',
    ]);
    expect(relativeLinks('[a](docs/gate.md#exit) [b](https://x.dev/) [c](#here) [d](../x.md "t")')).toEqual([
      'docs/gate.md',
      '../x.md',
    ]);
  });

  it('no tracked file names the shared spec folder outside the repository', () => {
    // This file names it on purpose, to look for it.
    const self = relative(REPO_ROOT, new URL(import.meta.url).pathname);
    const found = TRACKED.filter((f) => f !== self).flatMap((f) => {
      const bytes = readFileSync(join(REPO_ROOT, f));
      if (bytes.includes(0)) return []; // binary: an image archive, a PNG
      return outsideReferences(bytes.toString('utf8')).map((ref) => `${f}: ${ref}`);
    });
    expect(found).toEqual([]);
  });

  it('every relative link in the Markdown resolves to a file inside the repository', () => {
    const bad = TRACKED.filter((f) => f.endsWith('.md') && !f.startsWith('testdata/'))
      .flatMap((f) =>
        relativeLinks(readFileSync(join(REPO_ROOT, f), 'utf8')).map((target) => {
          const to = resolve(REPO_ROOT, dirname(f), decodeURI(target));
          const inside = !relative(REPO_ROOT, to).startsWith('..');
          return inside && existsSync(to) ? '' : `${f}: ${target}${inside ? ' (missing)' : ' (outside)'}`;
        }),
      )
      .filter(Boolean);
    expect(bad).toEqual([]);
  });
});
