/**
 * The id of a finding whose source gives none (Falco without `uuid`, a docker-diff entry, an SCC finding
 * without `name`): a sha256 of the normalized event, serialized in a fixed field order. Stable across
 * runs and across spellings of the same event (JSON API or Node client), and computed from bounded,
 * already-normalized values — never by re-serializing the hostile input (unbounded depth and size).
 */
import { createHash } from 'node:crypto';
import type { Finding } from './types.js';

/** `f.id` is not part of the hash (it is what is being computed). */
export function eventId(f: Finding): string {
  const b = f.binary;
  const i = f.image;
  const w = f.workload;
  const canonical = JSON.stringify([
    f.source,
    f.category,
    f.malicious,
    [b.path, b.sha256, b.size, b.hashedSize, b.partiallyHashed, b.hashUnreadable, b.unusable, b.reported],
    [i.uri, i.repository, i.tag, i.digest, i.imageId],
    [w.cluster, w.location, w.project, w.namespace, w.pod, w.container, w.node],
    f.eventTime,
    f.createTime,
    f.args,
    f.parent ? [f.parent.name, f.parent.path, f.parent.args] : null,
    f.package ? [f.package.manager, f.package.name, f.package.version] : null,
  ]);
  return `${f.source}:sha256:${createHash('sha256').update(canonical).digest('hex')}`;
}
