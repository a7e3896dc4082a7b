/**
 * Reading an image archive leaves no file open: the service reads archives for as long as it runs, and a
 * handle left for the garbage collector to close is one more descriptor per read until it does (Node
 * warns, and says a future version will throw). The archive's end-of-archive marker stops the read
 * before the file's end, which is where a handle was once left behind.
 */
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { readImageArchive } from '../../engine/image/index.js';

const openFiles = () => readdirSync('/proc/self/fd').length;

describe('reading an image archive', () => {
  test.each(['merged-usr.docker-save.tar', 'merged-usr.oci-gzip.tar', 'merged-usr.oci-zstd.tar'])(
    '%s: every file it opened is closed when the manifest is returned',
    async (name) => {
      const archive = resolve('testdata/images', name);
      await readImageArchive(archive, {}); // first use loads modules, which may open files of their own
      const before = openFiles();
      for (let i = 0; i < 10; i++) await readImageArchive(archive, {});
      expect(openFiles()).toBe(before);
    },
  );
});
