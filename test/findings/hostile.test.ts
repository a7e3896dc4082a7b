/**
 * Findings are written by whoever ran the binary. These are the values an attacker controls and
 * what driftgate makes of them: one normal form for paths and hashes, bounded strings, no prototype
 * pollution, and skip reasons that cannot smuggle terminal escapes.
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../engine/errors.js';
import { normalizeFindingObject, type SkippedInput } from '../../engine/findings/parse.js';
import {
  MAX_ARG_LENGTH,
  MAX_ARGS,
  MAX_REPORTED_PATH,
  MAX_TEXT_LENGTH,
} from '../../engine/findings/sanitize.js';
import { parseTestdata } from './helpers.js';

function sccWith(binary: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    finding: {
      name: 'organizations/1/sources/2/findings/x',
      category: 'Added Binary Executed',
      processes: [{ binary, ...extra }],
      containers: [{ uri: 'nginx:1.25' }],
    },
  };
}

function one(obj: unknown) {
  const skipped: SkippedInput[] = [];
  const [finding] = normalizeFindingObject(obj, 'h.json', skipped);
  return { finding, skipped };
}

describe('paths', () => {
  const { findings, skipped } = parseTestdata('hostile.ndjson');
  const byId = new Map(findings.map((f) => [f.id.split('/').pop(), f]));

  it('are normalized: dot segments resolved, duplicate slashes collapsed, `..` clamped at the root', () => {
    expect(byId.get('h-dotdot')!.binary.path).toBe('/usr/bin/curl');
    expect(byId.get('h0')!.binary.path).toBe('/bin/sh');
  });

  it('that are relative, empty, over-long or carry NUL are kept as unusable, with why and the text reported', () => {
    expect(skipped).toEqual([]);
    const unusable = (id: string) => byId.get(id)!.binary;
    expect(unusable('h1')).toMatchObject({ unusable: 'relative', reported: 'bin/relative' });
    // proto3 cannot tell an empty path from an unset one: the finding names no binary.
    expect(unusable('h2')).toMatchObject({ unusable: 'missing', why: 'the finding names no process binary' });
    expect(unusable('h2').reported).toBeUndefined();
    expect(unusable('h3')).toMatchObject({ unusable: 'too-long' });
    expect(unusable('h3').reported!.length).toBeLessThan(MAX_REPORTED_PATH + 40);
    expect(unusable('h7')).toMatchObject({ unusable: 'nul', reported: '/usr/bin/nul\0x' });
    expect(unusable('h7').why).toContain('\\u0000');
    // The hash is kept: an IoC needs no path.
    expect(unusable('h1').sha256).toBe('5'.repeat(64));
  });

  it('naming the root directory is not a binary', () => {
    expect(one(sccWith({ path: '/../..' })).finding!.binary).toMatchObject({ unusable: 'root' });
  });

  it.each([
    ['memfd:kworker (deleted)', 'in-memory file'],
    ['/memfd:x', 'in-memory file'],
    ['/tmp/.x (deleted)', 'deleted after it started'],
  ])('%s is fileless execution, and said so', (path, words) => {
    const b = one(sccWith({ path, sha256: '5'.repeat(64) })).finding!.binary;
    expect(b).toMatchObject({ unusable: 'fileless', reported: path, sha256: '5'.repeat(64) });
    expect(b.why).toMatch(/^fileless execution: /);
    expect(b.why).toContain(words);
  });

  it.each([
    [{ path: 42 }, 'wrong-type'],
    [{ path: { p: '/x' } }, 'wrong-type'],
    [{ path: ['/x'] }, 'wrong-type'],
    [{ sha256: '5'.repeat(64) }, 'missing'],
  ])('%j has an unusable binary: %s', (binary, reason) => {
    expect(one(sccWith(binary)).finding!.binary.unusable).toBe(reason);
  });

  it('a processes field of the wrong type or a category of the wrong type is kept, not skipped', () => {
    const obj = sccWith({ path: '/x' });
    (obj.finding as Record<string, unknown>).processes = { binary: { path: '/x' } };
    expect(one(obj).finding!.binary).toMatchObject({ unusable: 'wrong-type' });
    const cat = sccWith({ path: 'memfd:x' });
    (cat.finding as Record<string, unknown>).category = 7;
    const { finding, skipped } = one(cat);
    expect(skipped).toEqual([]);
    expect(finding!.category).toBe('(category is not a string)');
    expect(finding!.binary.unusable).toBe('fileless');
  });

  it('of a category that is no drift, when unusable, are skipped and counted with a reason', () => {
    const obj = sccWith({ path: 'memfd:x' });
    obj.finding.category = 'Reverse Shell';
    const { finding, skipped } = one(obj);
    expect(finding).toBeUndefined();
    expect(skipped[0]!.reason).toMatch(/^SCC finding 'Reverse Shell': fileless execution/);
  });
});

describe('hashes', () => {
  const { findings } = parseTestdata('hostile.ndjson');
  const byPath = new Map(findings.map((f) => [f.binary.path, f]));

  it('that are not 64 hex are dropped and marked unreadable, so they cannot read as "no hash"', () => {
    expect(byPath.get('/usr/bin/x')!.binary).toEqual({ path: '/usr/bin/x', hashUnreadable: true });
    expect(one(sccWith({ path: '/x', sha256: 'a'.repeat(63) })).finding!.binary.hashUnreadable).toBe(true);
    expect(one(sccWith({ path: '/x', sha256: 42 })).finding!.binary.hashUnreadable).toBe(true);
  });

  it('are lower-cased', () => {
    expect(byPath.get('/usr/bin/y')!.binary.sha256).toBe('abcdef0123456789'.repeat(4));
  });

  it('that are empty are absent (proto3 writes an unset hash as "")', () => {
    expect(one(sccWith({ path: '/x', sha256: '' })).finding!.binary).toEqual({ path: '/x' });
  });
});

describe('sizes', () => {
  it.each([
    ['-5'],
    ['1e3'],
    ['12.5'],
    [-1],
    [1.5],
    ['99999999999999999999'],
    [Number.MAX_SAFE_INTEGER + 2],
    [{}],
  ])('%j is dropped', (size) => {
    expect(one(sccWith({ path: '/x', size, hashedSize: size })).finding!.binary).toEqual({ path: '/x' });
  });

  it('accepts int64 as a number, a string or a serialized Long', () => {
    expect(one(sccWith({ path: '/x', size: 7, hashedSize: '7' })).finding!.binary).toMatchObject({
      size: 7,
      hashedSize: 7,
    });
    expect(
      one(sccWith({ path: '/x', size: { low: 5, high: 1, unsigned: false } })).finding!.binary.size,
    ).toBe(2 ** 32 + 5);
  });
});

describe('strings', () => {
  it('keep argv evidence bounded in count and length', () => {
    const args = Array.from({ length: 1000 }, (_, i) => (i === 0 ? 'x'.repeat(100_000) : `arg${i}`));
    const { finding } = one(sccWith({ path: '/x' }, { args }));
    expect(finding!.args).toHaveLength(MAX_ARGS);
    expect(finding!.args![0]).toHaveLength(MAX_ARG_LENGTH + 1);
    expect(finding!.args!.at(-1)).toBe(`… ${1000 - (MAX_ARGS - 1)} more`);
  });

  it('cap names and categories; an over-long SCC name is replaced by a hash id', () => {
    const obj = sccWith({ path: '/x' });
    obj.finding.name = 'n'.repeat(10_000);
    (obj.finding as Record<string, unknown>).sourceProperties = { Pod_Name: 'p'.repeat(10_000) };
    const { finding } = one(obj);
    expect(finding!.id).toMatch(/^scc:sha256:[0-9a-f]{64}$/);
    expect(finding!.workload.pod!.length).toBe(MAX_TEXT_LENGTH + 1);
  });

  it('show control and non-ASCII characters escaped in skip reasons', () => {
    const obj = sccWith({ path: '/x' });
    obj.finding.category = 'Evil\u001b[31m\u202e';
    obj.finding.processes = [];
    const { skipped } = one(obj);
    expect(skipped[0]!.reason).toBe("the SCC finding 'Evil\\u001b[31m\\u202e' names no process binary");
  });
});

describe('__proto__ and friends', () => {
  it('do not pollute prototypes or leak into findings', () => {
    const { findings } = parseTestdata('hostile.ndjson');
    const f = findings.find((x) => x.id.endsWith('h-proto'))!;
    expect(f.binary).toEqual({ path: '/usr/bin/p' });
    expect(Object.getPrototypeOf(f)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).category).toBeUndefined();
  });

  it('are not mistaken for fields when inherited', () => {
    // A finding whose category is only on its prototype has no category: it is no SCC finding.
    const finding = Object.create({ category: 'Added Binary Executed' });
    finding.processes = [{ binary: { path: '/x' } }];
    finding.resourceName = '//container.googleapis.com/projects/p/locations/l/clusters/c';
    expect(() => normalizeFindingObject(finding, 'p.json')).toThrow(InputError);
  });
});

describe('image identity in findings', () => {
  it('is not trusted when Falco repository and reference disagree', () => {
    const event = {
      rule: 'Drop and execute new binary in container',
      output_fields: {
        'proc.exepath': '/tmp/x',
        'container.image': 'europe-docker.pkg.dev/shop-prod/apps/checkout:1',
        'container.image.repository': 'docker.io/library/other',
      },
    };
    expect(one(event).finding!.image.repository).toBeUndefined();
  });

  it('takes a Kubernetes repo digest imageID (docker-pullable://) as the digest', () => {
    const obj = sccWith({ path: '/x' });
    obj.finding.containers = [{ imageId: `docker-pullable://nginx@sha256:${'c'.repeat(64)}` } as never];
    expect(one(obj).finding!.image).toMatchObject({
      repository: 'docker.io/library/nginx',
      digest: `sha256:${'c'.repeat(64)}`,
    });
  });
});
