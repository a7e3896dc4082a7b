/**
 * An `admission.k8s.io/v1` AdmissionReview request → what to check: the request's uid, namespace, dry-run
 * flag and the images of every container, init container and ephemeral container of the pod spec the
 * object carries (a Pod's own, or the pod template of a Deployment, StatefulSet, DaemonSet, ReplicaSet,
 * ReplicationController, Job or CronJob). Pure: no I/O. A review that is not one is `malformed` with the
 * reason, so that the route answers it as Kubernetes expects (HTTP 200, a failed status) and never throws.
 */

export type ContainerKind = 'container' | 'initContainer' | 'ephemeralContainer';

export interface ContainerImage {
  kind: ContainerKind;
  /** The container's name, as the object gives it (the user's own text: quote it before showing it). */
  name: string;
  image: string;
}

export type ParsedReview =
  | { kind: 'malformed'; uid: string; reason: string }
  | {
      kind: 'review';
      uid: string;
      /** What the request is about: `Deployment` and `shop/checkout` (the user's own text). */
      subject: { kind: string; name: string };
      namespace: string | undefined;
      dryRun: boolean;
      /**
       * The images to check. On UPDATE only those the old object did not already run: a label change on a
       * running workload is not blocked by a finding made since; its new pods are checked as they are created.
       */
      containers: ContainerImage[];
      /** Set when the object is of a kind that carries no pod spec driftgate knows how to read. */
      unread?: string;
    };

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Where the pod spec is, per `group/kind` (core group: empty). */
const POD_SPEC_PATHS: Record<string, readonly string[]> = {
  '/Pod': ['spec'],
  '/ReplicationController': ['spec', 'template', 'spec'],
  'apps/Deployment': ['spec', 'template', 'spec'],
  'apps/StatefulSet': ['spec', 'template', 'spec'],
  'apps/DaemonSet': ['spec', 'template', 'spec'],
  'apps/ReplicaSet': ['spec', 'template', 'spec'],
  'batch/Job': ['spec', 'template', 'spec'],
  'batch/CronJob': ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

const LISTS: ReadonlyArray<[string, ContainerKind]> = [
  ['initContainers', 'initContainer'],
  ['containers', 'container'],
  ['ephemeralContainers', 'ephemeralContainer'],
];

class Malformed extends Error {}

/** A body that could not be read as a JSON object (an object itself, so the contract's schema admits it). */
export class Unreadable {
  constructor(readonly reason: string) {}
}

export function parseReview(body: unknown): ParsedReview {
  if (body instanceof Unreadable) return { kind: 'malformed', uid: '', reason: body.reason };
  const uid = uidOf(body);
  try {
    return { ...read(body), uid };
  } catch (err) {
    if (err instanceof Malformed) return { kind: 'malformed', uid, reason: err.message };
    throw err;
  }
}

/** The request's uid when there is one that can be echoed, else '' (the API server then discards it). */
function uidOf(body: unknown): string {
  if (!isObject(body) || !isObject(body.request)) return '';
  const uid = body.request.uid;
  return typeof uid === 'string' && /^[\x21-\x7e]{1,128}$/.test(uid) ? uid : '';
}

function read(body: unknown): Omit<Extract<ParsedReview, { kind: 'review' }>, 'uid'> {
  if (!isObject(body)) throw new Malformed('the body is not a JSON object');
  if (body.apiVersion !== 'admission.k8s.io/v1' || body.kind !== 'AdmissionReview')
    throw new Malformed(
      'not an admission.k8s.io/v1 AdmissionReview (set admissionReviewVersions: [v1] in the webhook configuration)',
    );
  const request = body.request;
  if (!isObject(request)) throw new Malformed('the AdmissionReview has no request');
  if (uidOf(body) === '') throw new Malformed('request.uid is missing or not a uid');
  const gvk = request.kind;
  if (!isObject(gvk) || typeof gvk.kind !== 'string' || typeof (gvk.group ?? '') !== 'string')
    throw new Malformed('request.kind is missing');
  const operation = request.operation;
  if (typeof operation !== 'string') throw new Malformed('request.operation is missing');
  const namespace = optionalString(request.namespace, 'request.namespace');
  const dryRun = request.dryRun === undefined || request.dryRun === null ? false : request.dryRun;
  if (typeof dryRun !== 'boolean') throw new Malformed('request.dryRun is not a boolean');
  const kindName = `${gvk.group ?? ''}/${gvk.kind}`;
  const object = request.object;
  const name =
    optionalString(request.name, 'request.name') ??
    (isObject(object) && isObject(object.metadata)
      ? (stringOr(object.metadata.name) ?? stringOr(object.metadata.generateName))
      : undefined);
  const subject = {
    kind: /^[A-Za-z0-9]{1,63}$/.test(gvk.kind) ? gvk.kind : 'object',
    name: `${namespace !== undefined ? `${namespace}/` : ''}${name ?? '(unnamed)'}`,
  };
  const base = { subject, namespace, dryRun };

  // Nothing is created or changed: nothing runs that was not checked.
  if (operation === 'DELETE' || operation === 'CONNECT') return { kind: 'review', ...base, containers: [] };
  if (operation !== 'CREATE' && operation !== 'UPDATE')
    throw new Malformed(`request.operation ${JSON.stringify(operation.slice(0, 40))} is not an operation`);
  const path = POD_SPEC_PATHS[kindName];
  if (path === undefined)
    return { kind: 'review', ...base, containers: [], unread: `${gvk.kind} (${gvk.group || 'core'})` };
  if (!isObject(object)) throw new Malformed('request.object is missing');
  const containers = containersOf(object, path, 'request.object');
  if (operation === 'UPDATE' && isObject(request.oldObject)) {
    let before: Set<string>;
    try {
      before = new Set(containersOf(request.oldObject, path, 'request.oldObject').map((c) => c.image));
    } catch {
      // An old object we cannot read: check everything rather than nothing.
      before = new Set();
    }
    return { kind: 'review', ...base, containers: containers.filter((c) => !before.has(c.image)) };
  }
  return { kind: 'review', ...base, containers };
}

function containersOf(object: Json, path: readonly string[], where: string): ContainerImage[] {
  let node: unknown = object;
  let at = where;
  for (const key of path) {
    at += `.${key}`;
    if (!isObject(node) || !isObject(node[key])) throw new Malformed(`${at} is missing`);
    node = node[key];
  }
  const spec = node as Json;
  if (!Array.isArray(spec.containers)) throw new Malformed(`${at}.containers is not a list`);
  const found: ContainerImage[] = [];
  for (const [list, kind] of LISTS) {
    const items = spec[list];
    if (items === undefined || items === null) continue;
    if (!Array.isArray(items)) throw new Malformed(`${at}.${list} is not a list`);
    items.forEach((c, i) => {
      if (!isObject(c) || typeof c.name !== 'string')
        throw new Malformed(`${at}.${list}[${i}] is not a container with a name`);
      // No image: the API server refuses the pod itself; there is nothing for driftgate to check.
      if (c.image === undefined || c.image === null || c.image === '') return;
      if (typeof c.image !== 'string') throw new Malformed(`${at}.${list}[${i}].image is not a string`);
      found.push({ kind, name: c.name, image: c.image });
    });
  }
  return found;
}

function optionalString(v: unknown, what: string): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new Malformed(`${what} is not a string`);
  return v;
}

function stringOr(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
