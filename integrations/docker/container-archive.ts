/**
 * Reading files out of a container with `GET /containers/{id}/archive?path=…` (what `docker cp` uses):
 * the engine answers with a tar stream, which is parsed as it arrives and never extracted to disk.
 */
import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import { extract, type Header } from 'tar-stream';
import { UnreachableError } from '../../engine/errors.js';
import { engineFailure, engineStatus, isSymlinkLoop } from './client.js';

type Container = Docker.Container;

/** What one changed path turned out to be. */
export type ContainerFile =
  | { kind: 'missing' } // gone since `docker diff` listed it
  | { kind: 'not-file' } // a directory, symlink, device, fifo
  | { kind: 'symlink-loop' } // a symlink the engine cannot resolve (it loops): it cannot be executed either
  | { kind: 'not-executable' }
  | { kind: 'executable'; sha256: string; size: number; mode: number };

/** A tar entry's body as it streams, or already in memory (a file kept for another reader too). */
export type FileBody = AsyncIterable<Buffer> | Iterable<Buffer>;

const X_BITS = 0o111;

/** ELF magic or `#!`: what the kernel will execute (engine/image decides "executable" the same way). */
function startsExecutable(head: Buffer): boolean {
  if (head.length >= 2 && head[0] === 0x23 && head[1] === 0x21) return true;
  return head.length >= 4 && head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46;
}

/**
 * What asking for the archive of a path found: it was read, it is not there (404: the container exists,
 * the caller checked), or it is a symlink loop. The engine stats the path it archives and resolves a
 * symlink's target for the stat header, so a looping symlink fails the whole request (a 500, "too many
 * links"): that is an answer about the path, not an engine failure, and must not end the run.
 */
export type Walked = 'read' | 'missing' | 'symlink-loop';

async function archiveOf(
  container: Container,
  path: string,
  what: string,
): Promise<NodeJS.ReadableStream | Exclude<Walked, 'read'>> {
  try {
    return await container.getArchive({ path });
  } catch (err) {
    if (engineStatus(err) === 404) return 'missing';
    if (isSymlinkLoop(err)) return 'symlink-loop';
    throw engineFailure(err, what);
  }
}

/**
 * Each tar entry of the archive of `path`, in order, until `visit` returns false or the archive ends.
 * The HTTP response is destroyed when we stop early, so the engine stops sending (a directory that was
 * asked for as if it were a file is not streamed whole).
 */
export async function walkArchive(
  container: Container,
  path: string,
  what: string,
  visit: (header: Header, body: AsyncIterable<Buffer>) => Promise<boolean>,
): Promise<Walked> {
  const response = await archiveOf(container, path, what);
  if (typeof response === 'string') return response;
  const tar = extract();
  const source = response as NodeJS.ReadableStream & { destroy(err?: Error): void };
  source.on('error', (err: Error) => tar.destroy(err));
  source.pipe(tar);
  try {
    for await (const entry of tar) {
      if (!(await visit(entry.header, entry as unknown as AsyncIterable<Buffer>))) break;
      // tar-stream only moves on once the body is consumed; bodies a visitor did not read are drained.
      entry.resume();
    }
  } catch (err) {
    throw engineFailure(err, what);
  } finally {
    source.destroy();
    tar.destroy();
  }
  return 'read';
}

/**
 * What the tar entry `header` + `body` at `path` is: for an executable regular file, its sha256 and size.
 * A file over `maxBytes` is refused (exit 3) rather than reported without a hash: a changed image file
 * without a hash would compare as the image's own. A non-executable stops being read after its first
 * bytes; with `drain` its body is still consumed (a directory's archive goes on to the next entry), else
 * the caller abandons the archive.
 */
export async function inspectFile(
  header: Header,
  body: FileBody,
  path: string,
  opts: { maxBytes: number; what: string; drain: boolean },
): Promise<ContainerFile> {
  if (header.type !== 'file' && header.type !== 'contiguous-file') return { kind: 'not-file' };
  const size = header.size ?? 0;
  const mode = (header.mode ?? 0) & 0o7777;
  if (size > opts.maxBytes) {
    throw new UnreachableError(
      `${opts.what}: ${path} is ${size} bytes, over the ${opts.maxBytes}-byte bound for hashing (--max-file-bytes)`,
    );
  }
  const notExecutable: ContainerFile = { kind: 'not-executable' };
  const hash = createHash('sha256');
  let read = 0;
  let decided = (mode & X_BITS) !== 0;
  let skipping = false;
  let head = Buffer.alloc(0);
  for await (const chunk of body) {
    if (skipping) continue;
    if (!decided) {
      head = Buffer.concat([head, chunk.subarray(0, 4 - head.length)]);
      if (head.length >= 4 || read + chunk.length >= size) {
        if (!startsExecutable(head)) {
          if (!opts.drain) return notExecutable;
          skipping = true;
          continue;
        }
        decided = true;
      }
    }
    hash.update(chunk);
    read += chunk.length;
  }
  if (skipping || (!decided && !startsExecutable(head))) return notExecutable;
  if (read !== size) throw new UnreachableError(`${opts.what}: ${path} ended after ${read} of ${size} bytes`);
  return { kind: 'executable', sha256: hash.digest('hex'), size, mode };
}

/**
 * Reads the file at `path` from the container (one archive request); `missing` when it is gone,
 * `symlink-loop` when the engine cannot resolve it.
 */
export async function readContainerFile(
  container: Container,
  path: string,
  maxBytes: number,
  what: string,
): Promise<ContainerFile> {
  let result: ContainerFile = { kind: 'not-file' };
  const walked = await walkArchive(container, path, what, async (header, body) => {
    result = await inspectFile(header, body, path, { maxBytes, what, drain: false });
    return false;
  });
  return walked === 'read' ? result : { kind: walked };
}

/**
 * Every entry of the archive of directory `dir`, by absolute path, in one request. The engine names
 * entries after the directory's base name (`dpkg/info/x.list` for `/var/lib/dpkg`).
 */
export async function walkContainerTree(
  container: Container,
  dir: string,
  what: string,
  visit: (path: string, header: Header, body: AsyncIterable<Buffer>) => Promise<void>,
): Promise<Walked> {
  const parent = dir.slice(0, dir.lastIndexOf('/'));
  return walkArchive(container, dir, what, async (header, body) => {
    const path = normalizeMember(parent, header.name);
    if (path !== undefined && (path === dir || path.startsWith(`${dir}/`))) await visit(path, header, body);
    return true;
  });
}

/** `parent` + a member name → absolute path, lexically normalized; undefined if it climbs out of `parent`. */
function normalizeMember(parent: string, name: string): string | undefined {
  const parts = parent.split('/').filter((p) => p !== '');
  const floor = parts.length;
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === floor) return undefined;
      parts.pop();
    } else parts.push(part);
  }
  return `/${parts.join('/')}`;
}
