/**
 * Shape detection: which module reads an object. Shapes are detected from the fields they carry,
 * never declared by a flag, so one NDJSON stream may mix SCC exports, Pub/Sub messages, Falco events
 * and docker-diff entries. The checks are ordered from the most specific wrapper to the bare forms,
 * and each looks at a few top-level keys only (this runs once per finding on large files).
 */
import { field, isRecord, type JsonRecord, str } from './fields.js';

export type Shape =
  /** `{message: {data: base64(NotificationMessage)}, subscription}` (also a pull message `{ackId, message}`). */
  | 'pubsub-push'
  /** `{notificationConfigName, finding, resource}`. */
  | 'pubsub-notification'
  /** `{finding, resource[, stateChange]}`: v1 or v2 list results, gcloud's export, the Node client's. */
  | 'scc-list-result'
  /** `{listFindingsResults: [...]}`: one page of the REST ListFindings response. */
  | 'scc-list-page'
  /** A bare SCC Finding. */
  | 'scc-finding'
  /** A Falco `json_output` event. */
  | 'falco'
  /** One entry of `driftgate findings --docker-container` (see docker-diff.ts). */
  | 'docker-diff'
  /** A normalized Finding as JSON (see generic.ts). */
  | 'generic';

/** Fields only an SCC Finding has, besides `category` (which generic findings share). */
const SCC_FINDING_MARKERS = [
  'processes',
  'resourceName',
  'findingClass',
  'sourceProperties',
  'canonicalName',
];

export function detectShape(o: unknown): Shape | undefined {
  if (!isRecord(o)) return undefined;
  const message = field(o, 'message');
  if (isRecord(message) && field(message, 'data') !== undefined) return 'pubsub-push';
  if (isRecord(field(o, 'finding'))) {
    const config = str(o, 'notificationConfigName') ?? str(o, 'notification_config_name');
    return config !== undefined ? 'pubsub-notification' : 'scc-list-result';
  }
  if (listPageResults(o) !== undefined) return 'scc-list-page';
  if (isRecord(field(o, 'output_fields')) && str(o, 'rule') !== undefined) return 'falco';
  if (isRecord(field(o, 'binary'))) return 'generic';
  if (str(o, 'source') === 'docker-diff' && typeof field(o, 'path') === 'string') return 'docker-diff';
  if (typeof field(o, 'category') === 'string' && isSccFinding(o)) return 'scc-finding';
  return undefined;
}

function isSccFinding(o: JsonRecord): boolean {
  for (const key of SCC_FINDING_MARKERS) if (field(o, key) !== undefined) return true;
  // A minimal export may carry only name and category; SCC names always contain `/findings/`.
  const name = str(o, 'name');
  return name?.includes('/findings/') === true;
}

/** The results of a REST ListFindings page (`listFindingsResults`, or `list_findings_results`). */
export function listPageResults(o: JsonRecord): readonly unknown[] | undefined {
  const v = field(o, 'listFindingsResults') ?? field(o, 'list_findings_results');
  return Array.isArray(v) ? v : undefined;
}
