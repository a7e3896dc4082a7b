/**
 * Layers → the squashed filesystem, applied in order the way Docker and overlayfs present it:
 * - a layer's whiteouts (`.wh.<name>`) delete that path and everything under it from the layers BELOW
 *   (OCI image spec: a whiteout never hides an entry of its own layer);
 * - an opaque marker (`.wh..wh..opq`) hides everything the layers below had inside that directory;
 * - an entry replaces what was at its path, except that a directory over a directory keeps the
 *   children (a merge, with the new metadata); a non-directory over a directory drops its subtree;
 * - a missing or non-directory parent becomes a directory (0755 root, as Docker creates it);
 * - a hardlink takes its target's content (size, executable, hashes) as it is when the link is applied.
 * Kept as a tree so a whiteout or opaque directory costs O(depth), not a scan of every path.
 */
import { InputError } from '../errors.js';
import { hasExecBit } from './file-digest.js';
import type { LayerContribution, LayerEntry } from './layer-contribution.js';
import type { ManifestEntry } from './types.js';

interface Node {
  entry: ManifestEntry;
  /** Present exactly when the entry is a directory. */
  children?: Map<string, Node>;
}

const ROOT: ManifestEntry = {
  path: '/',
  type: 'dir',
  mode: 0o755,
  uid: 0,
  gid: 0,
  size: 0,
  executable: false,
  layer: 0,
};

export function squash(layers: readonly LayerContribution[]): ManifestEntry[] {
  const root: Node = { entry: ROOT, children: new Map() };
  layers.forEach((layer, index) => {
    for (const dir of layer.opaqueDirs) {
      const node = find(root, dir);
      if (node?.children) node.children = new Map();
    }
    for (const path of layer.whiteouts) {
      const parent = find(root, parentPath(path));
      parent?.children?.delete(baseOf(path));
    }
    for (const entry of layer.entries) place(root, entry, index);
  });
  return flatten(root);
}

function toManifestEntry(root: Node, e: LayerEntry, layer: number): ManifestEntry {
  const out: ManifestEntry = {
    path: e.path,
    type: e.type,
    mode: e.mode,
    uid: e.uid,
    gid: e.gid,
    size: e.size,
    executable: e.type === 'file' && e.executable,
    layer,
  };
  if (e.type === 'file') {
    if (e.sha256 !== undefined) out.sha256 = e.sha256;
    if (e.prefixSha256 !== undefined) out.prefixSha256 = { ...e.prefixSha256 };
  }
  if (e.linkTarget !== undefined) out.linkTarget = e.linkTarget;
  if (e.type === 'hardlink') linkContent(root, out, layer);
  return out;
}

/** A hardlink is the same inode as its target: it carries the target's content as of this layer. */
function linkContent(root: Node, link: ManifestEntry, layer: number): void {
  const target = find(root, link.linkTarget!)?.entry;
  if (target === undefined || target.type === 'dir') {
    throw new InputError(
      `layer ${layer + 1}: hardlink ${JSON.stringify(link.path)} points to ${JSON.stringify(link.linkTarget)}, which is ${target ? 'a directory' : 'missing'}`,
    );
  }
  if (target.type !== 'file' && target.type !== 'hardlink') return; // a link to a symlink or device: no content
  link.size = target.size;
  link.executable = target.executable || hasExecBit(link.mode);
  if (target.sha256 !== undefined) link.sha256 = target.sha256;
  if (target.prefixSha256 !== undefined) link.prefixSha256 = { ...target.prefixSha256 };
}

function place(root: Node, layerEntry: LayerEntry, layer: number): void {
  const names = layerEntry.path.split('/').slice(1);
  let dir = root;
  let path = '';
  for (let i = 0; i < names.length - 1; i++) {
    const name = names[i]!;
    path += `/${name}`;
    let next = dir.children!.get(name);
    if (next?.children === undefined) {
      next = { entry: implicitDir(path, layer), children: new Map() };
      dir.children!.set(name, next);
    }
    dir = next;
  }
  // Parents first, then the entry: a hardlink resolves against the tree as this entry would see it.
  const entry = toManifestEntry(root, layerEntry, layer);
  const name = names[names.length - 1]!;
  const existing = dir.children!.get(name);
  if (entry.type === 'dir') {
    if (existing?.children) existing.entry = entry;
    else dir.children!.set(name, { entry, children: new Map() });
  } else {
    dir.children!.set(name, { entry });
  }
}

function implicitDir(path: string, layer: number): ManifestEntry {
  return { path, type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, executable: false, layer };
}

/** Exact lookup, no symlinks followed: whiteouts and hardlinks name paths as stored. */
function find(root: Node, path: string): Node | undefined {
  let node: Node | undefined = root;
  for (const name of path.split('/')) {
    if (name === '') continue;
    node = node.children?.get(name);
    if (node === undefined) return undefined;
  }
  return node;
}

function parentPath(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}

function baseOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function flatten(root: Node): ManifestEntry[] {
  const out: ManifestEntry[] = [];
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node !== root) out.push(node.entry);
    if (node.children) for (const child of node.children.values()) stack.push(child);
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
