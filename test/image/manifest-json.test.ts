/**
 * `--manifest`: what `driftgate manifest --format json` printed reads back as the same manifest, and a
 * file that is not one is an InputError naming the field (or the line and column of a JSON error).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../engine/errors.js';
import { parseManifestJson, readImageArchive } from '../../engine/image/index.js';
import { jsonErrorOffset } from '../../engine/image/json-input.js';
import type { ImageManifest } from '../../engine/image/types.js';
import { imagePath } from './ground-truth.js';

const FILE = 'image.manifest.json';

function rejects(
  mutate: (m: Record<string, unknown> & { entries: Record<string, unknown>[] }) => void,
  message: RegExp,
) {
  return async () => {
    const m = JSON.parse(
      JSON.stringify(await readImageArchive(imagePath('docker-save.tar'), { prefixSizes: [1048576] })),
    );
    mutate(m);
    let err: unknown;
    try {
      parseManifestJson(JSON.stringify(m, null, 2), FILE);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toMatch(message);
    expect((err as InputError).where?.file).toBe(FILE);
  };
}

describe('parseManifestJson', () => {
  it('reads back exactly what was written', async () => {
    const m: ImageManifest = await readImageArchive(imagePath('oci-gzip.tar'), {
      prefixSizes: [1048576],
      hashAll: true,
    });
    expect(parseManifestJson(JSON.stringify(m, null, 2), FILE)).toEqual(m);
  });

  it('gives the line and column of a JSON syntax error', () => {
    const err = (() => {
      try {
        parseManifestJson('{\n  "schemaVersion": 1,\n  "digest": oops\n}', FILE);
      } catch (e) {
        return e as InputError;
      }
    })();
    expect(err).toBeInstanceOf(InputError);
    expect(err?.where).toEqual({ file: FILE, line: 3, column: 13 });
  });

  it(
    'refuses warnings that are not a list of strings',
    rejects((m) => (m.warnings = ['ok', 3]), /^warnings\[1\]: expected a string$/),
  );

  it(
    'refuses a wrong schema version',
    rejects((m) => (m.schemaVersion = 2), /schemaVersion/),
  );
  it(
    'refuses a digest that is no digest',
    rejects((m) => (m.digest = 'latest'), /^digest: expected a digest/),
  );
  it(
    'refuses unknown fields',
    rejects((m) => (m.entries[0]!.sha265 = 'x'), /entries\[0\]: unknown field "sha265"/),
  );
  it(
    'refuses a bad hash',
    rejects((m) => (m.entries.find((e) => e.sha256)!.sha256 = 'ABC'), /sha256: expected 64 lowercase hex/),
  );
  it(
    'refuses an unknown entry type',
    rejects((m) => (m.entries[0]!.type = 'socket'), /entries\[0\]\.type/),
  );
  it(
    'refuses a relative or unnormalized path',
    rejects((m) => (m.entries[0]!.path = '/usr/../etc'), /absolute, normalized path/),
  );
  it(
    'refuses unsorted or repeated paths',
    rejects((m) => m.entries.push(m.entries[0]!), /sorted and unique/),
  );
  it(
    'refuses a layer index out of range',
    rejects((m) => (m.entries[0]!.layer = 99), /entries\[0\]\.layer: expected a whole number 0\.\.4/),
  );
  it(
    'refuses a mode beyond 0o7777',
    rejects((m) => (m.entries[0]!.mode = 0o100755), /mode/),
  );
  it(
    'refuses a symlink without a target',
    rejects((m) => delete m.entries.find((e) => e.type === 'symlink')!.linkTarget, /linkTarget/),
  );
  it(
    'refuses prefix hashes keyed by anything but a byte count',
    rejects(
      (m) => (m.entries.find((e) => e.prefixSha256)!.prefixSha256 = { first: 'a'.repeat(64) }),
      /prefixSha256: expected keys that are byte counts/,
    ),
  );
  it(
    'refuses an unknown package manager',
    rejects((m) => (m.packageManager = 'brew'), /packageManager/),
  );
  it(
    'refuses labels that are not strings',
    rejects((m) => ((m.config as { labels: unknown }).labels = { a: 1 }), /config\.labels\.a/),
  );
});

describe('JSON error positions', () => {
  it('agree with JSON.parse on what is valid, on JSON-like text', () => {
    const token = fc.constantFrom(
      '{',
      '}',
      '[',
      ']',
      ',',
      ':',
      '"a"',
      '"\\u00e9"',
      '"\\x"',
      '1',
      '-0.5e3',
      '01',
      'true',
      'nul',
      ' ',
      '\n',
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 12 }), (tokens) => {
        const text = tokens.join('');
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        expect(jsonErrorOffset(text) === -1).toBe(valid);
      }),
      { numRuns: 3000 },
    );
  });
});
