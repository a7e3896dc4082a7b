/**
 * An SCC list result in the form the Node client (@google-cloud/security-center) returns it, as
 * JSON.stringify writes it: google-gax loads protos with `longs: String, enums: String, defaults:
 * true, oneofs: true`, so timestamps are `{seconds: "…", nanos}`, int64 are strings, unset scalars are
 * `""`/`"0"`/`false`, unset messages `null`, and each `sourceProperties` value is a protobuf Value
 * with its `kind` discriminator. `numericEnums` writes enums as numbers (enums: Number clients).
 */

// biome-ignore lint/suspicious/noExplicitAny: SCC JSON is free-form in tests
type Json = any;

function timestamp(rfc3339: string | undefined): Json {
  if (rfc3339 === undefined) return null;
  const ms = Date.parse(rfc3339);
  return { seconds: String(Math.floor(ms / 1000)), nanos: (((ms % 1000) + 1000) % 1000) * 1_000_000 };
}

export function protoValue(v: unknown): Json {
  if (v === null) return { nullValue: 'NULL_VALUE', kind: 'nullValue' };
  if (typeof v === 'string') return { stringValue: v, kind: 'stringValue' };
  if (typeof v === 'number') return { numberValue: v, kind: 'numberValue' };
  if (typeof v === 'boolean') return { boolValue: v, kind: 'boolValue' };
  if (Array.isArray(v)) return { listValue: { values: v.map(protoValue) }, kind: 'listValue' };
  const fields = Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, protoValue(x)]));
  return { structValue: { fields }, kind: 'structValue' };
}

function file(b: Json): Json {
  return {
    path: b?.path ?? '',
    size: b?.size ?? '0',
    sha256: b?.sha256 ?? '',
    hashedSize: b?.hashedSize ?? '0',
    partiallyHashed: b?.partiallyHashed ?? false,
    contents: '',
    diskPath: null,
    operations: [],
  };
}

function container(c: Json): Json {
  return {
    name: c.name ?? '',
    uri: c.uri ?? '',
    imageId: c.imageId ?? '',
    labels: [],
    createTime: timestamp(c.createTime),
  };
}

export function toNodeClientForm(result: Json, numericEnums = false): Json {
  const f = result.finding;
  const k8s = f.kubernetes;
  const finding = {
    name: f.name ?? '',
    canonicalName: f.canonicalName ?? '',
    parent: f.parent ?? '',
    resourceName: f.resourceName ?? '',
    state: numericEnums ? 1 : (f.state ?? 'STATE_UNSPECIFIED'),
    category: f.category ?? '',
    externalUri: '',
    sourceProperties: Object.fromEntries(
      Object.entries(f.sourceProperties ?? {}).map(([k, v]) => [k, protoValue(v)]),
    ),
    securityMarks: null,
    eventTime: timestamp(f.eventTime),
    createTime: timestamp(f.createTime),
    severity: numericEnums ? 4 : (f.severity ?? 'SEVERITY_UNSPECIFIED'),
    mute: numericEnums ? 0 : 'MUTE_UNSPECIFIED',
    findingClass: numericEnums ? 1 : (f.findingClass ?? 'FINDING_CLASS_UNSPECIFIED'),
    indicator: null,
    mitreAttack: null,
    processes: (f.processes ?? []).map((p: Json) => ({
      name: p.name ?? '',
      binary: file(p.binary),
      libraries: (p.libraries ?? []).map(file),
      script: null,
      args: p.args ?? [],
      argumentsTruncated: false,
      envVariables: [],
      envVariablesTruncated: false,
      pid: p.pid ?? '0',
      parentPid: p.parentPid ?? '0',
      userId: p.userId ?? '0',
    })),
    containers: (f.containers ?? []).map(container),
    kubernetes: k8s
      ? {
          pods: (k8s.pods ?? []).map((p: Json) => ({
            ns: p.ns ?? '',
            name: p.name ?? '',
            labels: [],
            containers: (p.containers ?? []).map(container),
          })),
          nodes: (k8s.nodes ?? []).map((n: Json) => ({ name: n.name ?? '' })),
          nodePools: [],
          roles: [],
          bindings: [],
          accessReviews: [],
          objects: [],
        }
      : null,
    description: f.description ?? '',
    files: [],
  };
  const r = result.resource;
  const resource = r
    ? {
        ...r,
        name: r.name ?? '',
        displayName: r.displayName ?? '',
        type: r.type ?? '',
        location: r.location ?? '',
        cloudProvider: numericEnums ? 1 : (r.cloudProvider ?? 'CLOUD_PROVIDER_UNSPECIFIED'),
        gcpMetadata: r.gcpMetadata ?? null,
      }
    : null;
  return { finding, resource, stateChange: numericEnums ? 0 : 'UNUSED' };
}
