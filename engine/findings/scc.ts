/**
 * Security Command Center findings (Container Threat Detection) → Finding.
 *
 * One module for every way an SCC Finding is written down: the JSON API (v1 and v2 list results,
 * `gcloud scc findings list --format json`), Pub/Sub notifications (via pubsub.ts), and the objects
 * the Node client returns (timestamps as `{seconds, nanos}`, int64 as strings, `sourceProperties`
 * values wrapped as protobuf Values, numeric or string enums, proto3 defaults for unset fields).
 * The enums (state, severity, findingClass) are not read: nothing here depends on them.
 *
 * Container information is best effort in SCC: any of image, pod or cluster may be missing, and the
 * finding is still kept (it becomes `unattributed` at evaluation when it names no image).
 */
import { binaryRef, type RawBinary, rawSccFile, unusableBinary } from './binary.js';
import { eventId } from './event-id.js';
import {
  arr,
  camelCaseKeys,
  field,
  firstRec,
  isRecord,
  isSnakeCase,
  type JsonRecord,
  propString,
  rec,
  str,
} from './fields.js';
import { imageFromReference } from './image-ref.js';
import type { Normalized } from './result.js';
import { capArgs, capText, MAX_TEXT_LENGTH, normalizeBinaryPath, quote } from './sanitize.js';
import { normalizeTime } from './time.js';
import {
  type Finding,
  type FindingBinary,
  type ImageRef,
  isUsableBinary,
  type ProcessRef,
  type Workload,
} from './types.js';

/** The SCC categories for a binary or library whose hash is a known indicator of compromise. */
export const MALICIOUS_CATEGORIES: ReadonlySet<string> = new Set([
  'Execution: Added Malicious Binary Executed',
  'Execution: Modified Malicious Binary Executed',
  'Execution: Added Malicious Library Loaded',
  'Execution: Modified Malicious Library Loaded',
]);

/** Named ones, and any later `Execution: … Malicious …` category SCC adds: nothing can allow those. */
export function isMaliciousCategory(category: string): boolean {
  return (
    MALICIOUS_CATEGORIES.has(category) ||
    (category.startsWith('Execution:') && category.includes('Malicious'))
  );
}

/** Shown as the category of an SCC finding whose `category` is not a string. */
export const CATEGORY_NOT_A_STRING = '(category is not a string)';

/**
 * The categories driftgate gates: a binary or library added to (or modified in) a running container,
 * malicious or not. A finding of one of these is never dropped, whatever its binary looks like. A category
 * that cannot be read (not a string) counts as one: nothing tells that it is not.
 */
export function isDriftCategory(category: string): boolean {
  return (
    category.includes('Binary Executed') ||
    category.includes('Library Loaded') ||
    category === CATEGORY_NOT_A_STRING ||
    isMaliciousCategory(category)
  );
}

/**
 * `Added Library Loaded`, `Execution: Added Malicious Library Loaded`, …: the added file is the
 * process's first loaded library, not the process's binary (which is usually in the image).
 */
export function isLibraryCategory(category: string): boolean {
  return category.includes('Library Loaded');
}

/**
 * One SCC Finding, with the `resource` that list results and notifications carry beside it (cluster,
 * project and location come from there when the finding does not say).
 */
export function normalizeSccFinding(input: JsonRecord, resourceInput?: JsonRecord): Normalized {
  let finding = input;
  let resource = resourceInput;
  // Copied from the console's JSON view: proto field names. Rare, so converted here, once.
  if (finding.eventTime === undefined && isSnakeCase(finding)) {
    finding = camelCaseKeys(finding) as JsonRecord;
    if (resource) resource = camelCaseKeys(resource) as JsonRecord;
  }
  const categoryField = field(finding, 'category');
  if (categoryField === undefined || categoryField === null || categoryField === '')
    return { skip: 'the SCC finding has no category' };
  // A category of the wrong type cannot tell whether this is drift: it is kept, as drift (never dropped).
  const category = typeof categoryField === 'string' ? categoryField : CATEGORY_NOT_A_STRING;
  const props = rec(finding, 'sourceProperties');
  const library = isLibraryCategory(category);
  const processesField = field(finding, 'processes');
  const processes = arr(finding, 'processes');
  const first = isRecord(processes?.[0]) ? processes[0] : undefined;

  let file: JsonRecord | undefined;
  if (first) file = library ? firstRec(first, 'libraries') : rec(first, 'binary');
  let raw: RawBinary | undefined;
  // proto3 writes an unset path as "": a file without a path names nothing.
  if (file && str(file, 'path') !== undefined) raw = rawSccFile(file);
  else if (!library) {
    // Older findings name the binary only in sourceProperties (a library finding's is not the library).
    const path = propString(props, 'Process_Binary_Fullpath');
    if (path !== undefined) raw = { path };
  }
  const what = library ? 'no loaded library' : 'no process binary';
  let binary: FindingBinary;
  if (raw !== undefined) binary = binaryRef(raw, true);
  else if (processesField !== undefined && processesField !== null && !Array.isArray(processesField))
    binary = unusableBinary('wrong-type', "the finding's processes field is not a list");
  else {
    // No path (proto3 writes an unset one as ""), or one of the wrong type. The file's hash still counts:
    // an IoC needs no path.
    const rawFile: RawBinary = file ? rawSccFile(file) : { path: undefined };
    const path = rawFile.path === '' ? undefined : rawFile.path;
    binary = binaryRef({ ...rawFile, path }, true);
    if (!isUsableBinary(binary) && binary.unusable === 'missing') binary.why = `the finding names ${what}`;
  }
  // Findings of other categories (a reverse shell, an IAM grant) without a usable binary are no drift
  // to gate: skipped, and counted by the caller.
  if (!isUsableBinary(binary) && !isDriftCategory(category)) {
    return {
      skip:
        binary.unusable === 'missing'
          ? `the SCC finding ${quote(category)} names ${what}`
          : `SCC finding ${quote(category)}: ${binary.why}`,
    };
  }

  // The id goes first (field order is what JSON output shows); it is set once the rest is known.
  const out: Finding = {
    id: '',
    source: 'scc',
    category: capText(category)!,
    malicious: isMaliciousCategory(category),
    binary,
    image: sccImage(finding, props),
    workload: sccWorkload(finding, resource, props),
  };
  const args = first ? capArgs(field(first, 'args')) : undefined;
  if (args) out.args = args;
  // The process that loaded a library is the evidence for a library finding; for a binary, its parent.
  const parent = processRef(library ? first : processes?.[1]);
  if (parent) out.parent = parent;
  const eventTime = normalizeTime(field(finding, 'eventTime'));
  if (eventTime) out.eventTime = eventTime;
  const createTime = normalizeTime(field(finding, 'createTime'));
  if (createTime) out.createTime = createTime;
  out.id = sccId(finding) ?? eventId(out);
  return { finding: out };
}

function sccId(finding: JsonRecord): string | undefined {
  const name = str(finding, 'name') ?? str(finding, 'canonicalName');
  // Cutting an over-long name could make two findings share an id: hash the event instead.
  return name !== undefined && name.length <= MAX_TEXT_LENGTH ? name : undefined;
}

function processRef(v: unknown): ProcessRef | undefined {
  if (!isRecord(v)) return undefined;
  const ref: ProcessRef = {};
  const name = capText(str(v, 'name'));
  if (name) ref.name = name;
  const binary = rec(v, 'binary');
  const path = binary ? str(binary, 'path') : undefined;
  if (path !== undefined) {
    const p = normalizeBinaryPath(path);
    if ('path' in p) ref.path = p.path;
  }
  const args = capArgs(field(v, 'args'));
  if (args) ref.args = args;
  return ref.name || ref.path || ref.args ? ref : undefined;
}

/** `containers[]` first (uri, imageId), then `sourceProperties.Container_Image_Uri`, then the pod's containers. */
function sccImage(finding: JsonRecord, props: JsonRecord | undefined): ImageRef {
  const container = firstContainer(arr(finding, 'containers'));
  let uri = container ? str(container, 'uri') : undefined;
  let imageId = container ? str(container, 'imageId') : undefined;
  uri ??= propString(props, 'Container_Image_Uri');
  if (uri === undefined) {
    const podContainer = firstContainer(
      arr(firstRec(rec(finding, 'kubernetes'), 'pods') ?? {}, 'containers'),
    );
    if (podContainer) {
      uri = str(podContainer, 'uri');
      imageId ??= str(podContainer, 'imageId');
    }
  }
  return imageFromReference(uri, imageId);
}

/** The first container that names an image, else the first container. */
function firstContainer(containers: readonly unknown[] | undefined): JsonRecord | undefined {
  if (!containers) return undefined;
  let fallback: JsonRecord | undefined;
  for (const c of containers) {
    if (!isRecord(c)) continue;
    if (str(c, 'uri') !== undefined) return c;
    fallback ??= c;
  }
  return fallback;
}

function sccWorkload(
  finding: JsonRecord,
  resource: JsonRecord | undefined,
  props: JsonRecord | undefined,
): Workload {
  const w: Workload = {};
  const resourceName = str(finding, 'resourceName') ?? (resource ? str(resource, 'name') : undefined);
  const fromName = resourceName === undefined ? undefined : parseResourceName(resourceName);

  const cluster = fromName?.cluster;
  if (cluster) w.cluster = cluster;
  const location = (resource && str(resource, 'location')) ?? fromName?.location;
  if (location) w.location = capText(location)!;
  const project = projectDisplayName(resource) ?? fromName?.project;
  if (project) w.project = capText(project)!;

  const k8s = rec(finding, 'kubernetes');
  const pod = firstRec(k8s, 'pods');
  const namespace = (pod && str(pod, 'ns')) ?? propString(props, 'Pod_Namespace');
  if (namespace) w.namespace = capText(namespace)!;
  const podName = (pod && str(pod, 'name')) ?? propString(props, 'Pod_Name');
  if (podName) w.pod = capText(podName)!;
  const container = firstContainer(arr(finding, 'containers'));
  const containerName =
    (container && str(container, 'name')) ??
    propString(props, 'Container_Name') ??
    (pod ? strOf(firstContainer(arr(pod, 'containers')), 'name') : undefined);
  if (containerName) w.container = capText(containerName)!;
  const nodeName = strOf(firstRec(k8s, 'nodes'), 'name');
  const node = nodeName === undefined ? propString(props, 'VM_Instance_Name') : lastSegment(nodeName);
  if (node) w.node = capText(node)!;
  return w;
}

function strOf(o: JsonRecord | undefined, key: string): string | undefined {
  return o ? str(o, key) : undefined;
}

function projectDisplayName(resource: JsonRecord | undefined): string | undefined {
  if (!resource) return undefined;
  return str(resource, 'projectDisplayName') ?? strOf(rec(resource, 'gcpMetadata'), 'projectDisplayName');
}

/** `//compute.googleapis.com/projects/p/zones/z/instances/NAME` → `NAME`. */
function lastSegment(name: string): string | undefined {
  const s = name.slice(name.lastIndexOf('/') + 1);
  return s.length > 0 ? s : undefined;
}

interface ResourceNameParts {
  cluster?: string;
  location?: string;
  project?: string;
}

const resourceNames = new Map<string, ResourceNameParts>();
const RESOURCE_CACHE_LIMIT = 1024;

/**
 * `//container.googleapis.com/projects/P/locations/L/clusters/C[/…]` (or `zones/Z`) → its parts.
 * A findings file names a handful of clusters many times, so each name is split once.
 */
export function parseResourceName(name: string): ResourceNameParts {
  let parts = resourceNames.get(name);
  if (parts !== undefined) return parts;
  parts = {};
  const segments = name.length > MAX_TEXT_LENGTH ? [] : name.split('/');
  for (let i = 0; i + 1 < segments.length; i++) {
    const value = segments[i + 1]!;
    if (value === '') continue;
    switch (segments[i]) {
      case 'projects':
        parts.project ??= value;
        break;
      case 'locations':
      case 'zones':
      case 'regions':
        parts.location ??= value;
        break;
      case 'clusters':
        parts.cluster ??= value;
        break;
    }
  }
  if (resourceNames.size >= RESOURCE_CACHE_LIMIT) resourceNames.clear();
  resourceNames.set(name, parts);
  return parts;
}
