/**
 * deploy/kubernetes/: every manifest is a valid Kubernetes object (Kubernetes' own schemas, through
 * kubernetes-models); the pieces agree with each other (selectors, ports, names, the webhook's service and
 * path); the webhook can never block kube-system nor driftgate's own recovery; and the Deployment's own
 * arguments, Secret and ConfigMap start the real server (the built CLI), whose probes and webhook path
 * answer over HTTPS.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { registerServe } from '../../cli/commands/serve.js';
import { parsePolicyText } from '../../engine/policy/load.js';
import { loadContract } from '../../service/contract.js';
import { parseTokens } from '../../service/tokens.js';
import { ensureBuilt } from '../cli/cli.js';
import { type SpawnedServer, spawnServer } from '../service/support.js';
import {
  validateAdmissionRequest,
  validateAdmissionResponse,
  validateKubernetesObject,
} from '../support/kubernetes-schemas.js';
import { httpsCall, makeCa, type TestCa } from '../support/tls.js';

const DIR = 'deploy/kubernetes';
// biome-ignore lint/suspicious/noExplicitAny: manifests are read as plain YAML
type Doc = any;
let docs: Array<{ file: string; doc: Doc }>;

beforeAll(async () => {
  docs = [];
  for (const file of (await readdir(DIR)).filter((f) => f.endsWith('.yaml')).sort()) {
    for (const d of parseAllDocuments(await readFile(join(DIR, file), 'utf8'))) {
      expect(d.errors, file).toEqual([]);
      docs.push({ file, doc: d.toJS() });
    }
  }
});

const one = (kind: string, name?: string): Doc => {
  const found = docs.filter(
    (d) => d.doc.kind === kind && (name === undefined || d.doc.metadata.name === name),
  );
  expect(found, `${kind} ${name ?? ''}`).toHaveLength(1);
  return found[0]!.doc;
};

describe('deploy/kubernetes manifests', () => {
  test("every manifest is valid against Kubernetes' schemas", () => {
    expect(docs.length).toBeGreaterThanOrEqual(8);
    for (const { file, doc } of docs) expect(() => validateKubernetesObject(doc), file).not.toThrow();
  });

  test('the webhook: v1 reviews, no side effects, a timeout, a documented failurePolicy', async () => {
    const config = one('ValidatingWebhookConfiguration');
    expect(config.webhooks).toHaveLength(1);
    const hook = config.webhooks[0];
    expect(hook.admissionReviewVersions).toEqual(['v1']);
    expect(hook.sideEffects).toBe('None');
    expect(hook.timeoutSeconds).toBeGreaterThanOrEqual(1);
    expect(hook.timeoutSeconds).toBeLessThanOrEqual(30);
    expect(['Fail', 'Ignore']).toContain(hook.failurePolicy);
    const text = await readFile(join(DIR, '90-webhook.yaml'), 'utf8');
    // The trade-off is written beside the choice: the policy in force, and the other one.
    const other = hook.failurePolicy === 'Fail' ? 'Ignore' : 'Fail';
    expect(text).toContain(`# failurePolicy: ${hook.failurePolicy}.`);
    expect(text).toContain(`${other} is the other choice`);
  });

  test("the webhook never sees kube-system nor driftgate's own namespace", () => {
    const hook = one('ValidatingWebhookConfiguration').webhooks[0];
    const ownNamespace = one('Namespace').metadata.name;
    const excluded = hook.namespaceSelector.matchExpressions.find(
      (e: Doc) => e.key === 'kubernetes.io/metadata.name' && e.operator === 'NotIn',
    );
    expect(excluded.values).toEqual(expect.arrayContaining(['kube-system', ownNamespace]));
    expect(hook.namespaceSelector.matchLabels).toBeUndefined();
  });

  test('the webhook covers pods, ephemeral containers and every workload with a pod template', () => {
    const rules = one('ValidatingWebhookConfiguration').webhooks[0].rules as Doc[];
    const covered = new Set(
      rules.flatMap((r) => r.resources.map((res: string) => `${r.apiGroups[0]}/${res}`)),
    );
    for (const r of [
      '/pods',
      '/pods/ephemeralcontainers',
      'apps/deployments',
      'apps/statefulsets',
      'apps/daemonsets',
      'apps/replicasets',
      'batch/jobs',
      'batch/cronjobs',
    ])
      expect(covered, r).toContain(r);
    for (const r of rules) expect(r.operations).toEqual(['CREATE', 'UPDATE']);
  });

  test("the webhook calls the Service, on its port, at the contract's admission path", () => {
    const { service } = one('ValidatingWebhookConfiguration').webhooks[0].clientConfig;
    const svc = one('Service', service.name);
    expect(svc.metadata.namespace).toBe(service.namespace);
    expect(svc.spec.ports.map((p: Doc) => p.port)).toContain(service.port);
    const op = loadContract().operation('POST', service.path);
    expect(op.operationId).toBe('reviewAdmission');
    expect(op.scope).toBeUndefined();
  });

  test('the Deployment: two replicas, non-root, read-only root, resources, probes; PDB and Service select it', () => {
    const deployment = one('Deployment', 'driftgate');
    const pod = deployment.spec.template;
    expect(deployment.spec.replicas).toBe(2);
    expect(pod.spec.securityContext.runAsNonRoot).toBe(true);
    expect(pod.spec.securityContext.runAsUser).toBeGreaterThan(0);
    expect(pod.spec.containers).toHaveLength(1);
    const c = pod.spec.containers[0];
    expect(c.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(c.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(c.readinessProbe.httpGet).toMatchObject({ path: '/readyz', scheme: 'HTTPS' });
    expect(c.livenessProbe.httpGet).toMatchObject({ path: '/healthz', scheme: 'HTTPS' });
    const labels = pod.metadata.labels;
    const selects = (sel: Record<string, string>) =>
      Object.entries(sel).every(([k, v]) => labels[k] === v) && Object.keys(sel).length > 0;
    expect(selects(deployment.spec.selector.matchLabels)).toBe(true);
    expect(selects(one('PodDisruptionBudget').spec.selector.matchLabels)).toBe(true);
    expect(one('PodDisruptionBudget').spec.minAvailable).toBe(1);
    const service = one('Service', 'driftgate');
    expect(selects(service.spec.selector)).toBe(true);
    const portNames = c.ports.map((p: Doc) => p.name);
    for (const p of service.spec.ports) expect(portNames).toContain(p.targetPort);
    expect(pod.spec.serviceAccountName).toBe(one('ServiceAccount').metadata.name);
    for (const { doc } of docs)
      if (doc.kind !== 'Namespace' && doc.kind !== 'ValidatingWebhookConfiguration')
        expect(doc.metadata.namespace, `${doc.kind} ${doc.metadata.name}`).toBe(
          one('Namespace').metadata.name,
        );
  });

  test('every flag the Deployment gives serve exists; its tokens and policies load', () => {
    const c = one('Deployment', 'driftgate').spec.template.spec.containers[0];
    expect(c.args[0]).toBe('serve');
    const program = new Command();
    registerServe(program);
    const known = new Set(program.commands[0]!.options.map((o) => o.long));
    for (const arg of c.args.slice(1)) expect(known, arg).toContain(arg.split('=')[0]);
    const tokens = one('Secret', 'driftgate-tokens').stringData['tokens.yaml'];
    expect(parseTokens(tokens, 'tokens.yaml').length).toBeGreaterThan(0);
    for (const [name, text] of Object.entries(one('ConfigMap', 'driftgate-policies').data))
      expect(() => parsePolicyText(text as string, name, { now: Date.now() }), name).not.toThrow();
  });
});

describe("the Deployment's own arguments start the real server", () => {
  let dir: string;
  let ca: TestCa;
  let server: SpawnedServer | undefined;
  beforeAll(async () => {
    await ensureBuilt();
    dir = await mkdtemp(join(tmpdir(), 'driftgate-k8s-'));
    ca = await makeCa();
  });
  afterAll(async () => {
    server?.signal('SIGKILL');
    await ca?.remove();
    await rm(dir, { recursive: true, force: true });
  });

  test('mounted as the Deployment mounts them: probes and the webhook path answer over HTTPS', async () => {
    const pod = one('Deployment', 'driftgate').spec.template.spec;
    const c = pod.containers[0];
    const pair = await ca.issue('driftgate', 'driftgate.driftgate.svc');
    // Each volume's contents where the container mounts it, under the temp dir.
    const contents: Record<string, Record<string, string>> = {
      'driftgate-policies': one('ConfigMap', 'driftgate-policies').data,
      'driftgate-tokens': one('Secret', 'driftgate-tokens').stringData,
      'driftgate-tls': { 'tls.crt': pair.cert, 'tls.key': pair.key },
    };
    for (const mount of c.volumeMounts) {
      const volume = pod.volumes.find((v: Doc) => v.name === mount.name);
      const where = join(dir, mount.mountPath);
      await mkdir(where, { recursive: true });
      const source = volume.configMap?.name ?? volume.secret?.secretName;
      if (source === undefined) continue; // an emptyDir
      for (const [file, text] of Object.entries(contents[source]!)) await writeFile(join(where, file), text);
    }
    const args = (c.args as string[])
      .slice(1)
      .filter((a) => !a.startsWith('--host=') && !a.startsWith('--port='))
      .map((a) => a.replace(/=(\/.*)$/, (_m, p: string) => `=${join(dir, p)}`));
    server = await spawnServer([...args, '--host', '127.0.0.1']);
    expect(server.url).toMatch(/^https:/);
    for (const probe of [c.readinessProbe, c.livenessProbe]) {
      const r = await httpsCall(`${server.url}${probe.httpGet.path}`, { ca: ca.cert });
      expect(r.status, probe.httpGet.path).toBe(200);
    }
    const hook = one('ValidatingWebhookConfiguration').webhooks[0];
    const request = {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: randomUUID(),
        kind: { group: '', version: 'v1', kind: 'Pod' },
        resource: { group: '', version: 'v1', resource: 'pods' },
        name: 'web',
        namespace: 'shop',
        operation: 'DELETE',
        userInfo: { username: 'alice' },
      },
    };
    validateAdmissionRequest(request);
    const r = await httpsCall(
      `${server.url}${hook.clientConfig.service.path}?timeout=${hook.timeoutSeconds}s`,
      {
        ca: ca.cert,
        body: JSON.stringify(request),
      },
    );
    expect(r.status).toBe(200);
    validateAdmissionResponse(r.json);
    expect(r.json.response).toEqual({ uid: request.request.uid, allowed: true });
    server.signal('SIGTERM');
    expect((await server.exited).code).toBe(0);
    server = undefined;
  });
});
