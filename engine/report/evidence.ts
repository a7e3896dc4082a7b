/**
 * The evidence a person follows for each binary, in the order of the Added Binary Executed response steps:
 * the finding in the Security Command Center console, the binary's reputation (VirusTotal by sha256), the
 * MITRE ATT&CK techniques of the category, and Cloud Logging queries for the pod's logs, the cluster's
 * audit log and the node's serial console.
 *
 * Finding fields are hostile: a value goes into a URL or a query only if it matches a strict pattern (the
 * characters Google resource names and Kubernetes names use), so no quote, backslash or newline from a
 * finding can change a query; anything else leaves that link out rather than escaping it into one.
 */
import type { Workload } from '../findings/types.js';
import type { Evidence, LinkedQuery } from './types.js';

/** The techniques Google lists for the added-binary and added-library categories. */
export const ATTACK_TECHNIQUES: Evidence['attack'] = [
  { id: 'T1105', name: 'Ingress Tool Transfer', url: 'https://attack.mitre.org/techniques/T1105/' },
  { id: 'T1106', name: 'Native API', url: 'https://attack.mitre.org/techniques/T1106/' },
];

const FINDING_NAME =
  /^(organizations|folders|projects)\/([A-Za-z0-9][A-Za-z0-9_.:-]{0,127})\/sources\/[0-9]{1,30}(?:\/locations\/[a-z0-9-]{1,63})?\/findings\/[A-Za-z0-9_-]{1,128}$/;
const SHA256 = /^[0-9a-f]{64}$/;
/** Project ids, numbers, locations, cluster, namespace, pod and node names. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,252}$/;
const SCOPE_PARAM: Record<string, string> = {
  organizations: 'organizationId',
  folders: 'folder',
  projects: 'project',
};

/** The finding's page in the SCC console, for a finding name in the API's form. */
export function sccConsoleUrl(name: string): string | undefined {
  const m = FINDING_NAME.exec(name);
  if (!m) return undefined;
  return `https://console.cloud.google.com/security/command-center/findingsv2;name=${encodeURIComponent(name)}?${SCOPE_PARAM[m[1]!]}=${m[2]}`;
}

export function virusTotalUrl(sha256: string | undefined): string | undefined {
  return sha256 !== undefined && SHA256.test(sha256)
    ? `https://www.virustotal.com/gui/file/${sha256}`
    : undefined;
}

const safe = (v: string | undefined): string | undefined => (v !== undefined && NAME.test(v) ? v : undefined);

/** A node named by its full resource name (`//compute.googleapis.com/projects/p/zones/z/instances/n`) → `n`. */
function nodeName(node: string | undefined): string | undefined {
  if (node === undefined) return undefined;
  return safe(node.slice(node.lastIndexOf('/') + 1));
}

function logsExplorer(project: string, lines: string[]): LinkedQuery {
  const query = lines.join('\n');
  return {
    query,
    url: `https://console.cloud.google.com/logs/query;query=${encodeURIComponent(query)}?project=${project}`,
  };
}

/** One hour either side of what was seen, so the query opens on the moment of the execution. */
function timeLines(firstSeen: string | undefined, lastSeen: string | undefined): string[] {
  const from = firstSeen === undefined ? Number.NaN : Date.parse(firstSeen) - 3_600_000;
  const to = lastSeen === undefined ? Number.NaN : Date.parse(lastSeen) + 3_600_000;
  return [
    ...(Number.isNaN(from) ? [] : [`timestamp>="${new Date(from).toISOString()}"`]),
    ...(Number.isNaN(to) ? [] : [`timestamp<="${new Date(to).toISOString()}"`]),
  ];
}

export function loggingQueries(
  workloads: readonly Workload[],
  seen: { firstSeen?: string; lastSeen?: string },
): Evidence['logs'] {
  const w = workloads.find((x) => safe(x.cluster) !== undefined && safe(x.project) !== undefined);
  if (!w) return {};
  const project = safe(w.project)!;
  const cluster = safe(w.cluster)!;
  const location = safe(w.location);
  const namespace = safe(w.namespace);
  const pod = safe(w.pod);
  const node = nodeName(w.node);
  const time = timeLines(seen.firstSeen, seen.lastSeen);
  const logs: Evidence['logs'] = {};
  if (namespace !== undefined && pod !== undefined) {
    logs.pod = logsExplorer(project, [
      'resource.type="k8s_container"',
      `resource.labels.project_id="${project}"`,
      ...(location !== undefined ? [`resource.labels.location="${location}"`] : []),
      `resource.labels.cluster_name="${cluster}"`,
      `resource.labels.namespace_name="${namespace}"`,
      `resource.labels.pod_name="${pod}"`,
      ...time,
    ]);
  }
  logs.clusterAudit = logsExplorer(project, [
    'resource.type="k8s_cluster"',
    ...(location !== undefined ? [`resource.labels.location="${location}"`] : []),
    `resource.labels.cluster_name="${cluster}"`,
    `logName="projects/${project}/logs/cloudaudit.googleapis.com%2Factivity"`,
    ...(namespace !== undefined && pod !== undefined
      ? [`protoPayload.resourceName:"namespaces/${namespace}/pods/${pod}"`]
      : []),
    ...time,
  ]);
  if (node !== undefined) {
    logs.nodeSerialConsole = logsExplorer(project, [
      'resource.type="gce_instance"',
      `logName="projects/${project}/logs/serialconsole.googleapis.com%2Fserial_port_1_output"`,
      `labels."compute.googleapis.com/resource_name"="${node}"`,
      ...time,
    ]);
  }
  return logs;
}

export function evidenceFor(
  binary: { sha256?: string; findings: readonly string[]; workloads: readonly Workload[] },
  seen: { firstSeen?: string; lastSeen?: string },
  maxFindings = 3,
): Evidence {
  const vt = virusTotalUrl(binary.sha256);
  return {
    findings: binary.findings.slice(0, maxFindings).map((name) => {
      const consoleUrl = sccConsoleUrl(name);
      return consoleUrl === undefined ? { name } : { name, consoleUrl };
    }),
    ...(vt !== undefined ? { virusTotal: vt } : {}),
    attack: ATTACK_TECHNIQUES,
    logs: loggingQueries(binary.workloads, seen),
  };
}
