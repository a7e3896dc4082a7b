/**
 * Kubernetes objects checked against Kubernetes' own OpenAPI schemas, as the `kubernetes-models` package
 * compiles them: every manifest in deploy/kubernetes/ and every AdmissionReview the tests send or receive.
 *
 * The API server's OpenAPI document has no AdmissionReview (it is a webhook payload, not a resource), so
 * its envelope is written here field for field from k8s.io/api/admission/v1 (AdmissionRequest,
 * AdmissionResponse, their json tags), closed to unknown fields; everything inside it is Kubernetes' own
 * schema: the object under review by its kind, `userInfo` (authentication/v1 UserInfo), the group/version/
 * kind and resource, and the response's `status` (meta/v1 Status).
 */
import { Status } from '@kubernetes-models/apimachinery/apis/meta/v1/Status';
import { Ajv } from 'ajv';
import { ValidatingWebhookConfiguration } from 'kubernetes-models/admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ReplicaSet } from 'kubernetes-models/apps/v1/ReplicaSet';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { UserInfo } from 'kubernetes-models/authentication.k8s.io/v1/UserInfo';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';

type Json = Record<string, unknown>;
interface Validating {
  validate(): void;
}
type ModelClass = new (data: Json) => Validating;

const MODELS: Record<string, ModelClass> = {
  'v1/ConfigMap': ConfigMap as unknown as ModelClass,
  'v1/Namespace': Namespace as unknown as ModelClass,
  'v1/Pod': Pod as unknown as ModelClass,
  'v1/Secret': Secret as unknown as ModelClass,
  'v1/Service': Service as unknown as ModelClass,
  'v1/ServiceAccount': ServiceAccount as unknown as ModelClass,
  'apps/v1/Deployment': Deployment as unknown as ModelClass,
  'apps/v1/StatefulSet': StatefulSet as unknown as ModelClass,
  'apps/v1/DaemonSet': DaemonSet as unknown as ModelClass,
  'apps/v1/ReplicaSet': ReplicaSet as unknown as ModelClass,
  'batch/v1/Job': Job as unknown as ModelClass,
  'batch/v1/CronJob': CronJob as unknown as ModelClass,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget as unknown as ModelClass,
  'admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration':
    ValidatingWebhookConfiguration as unknown as ModelClass,
};

/** Throws with Kubernetes' schema errors when the object is not a valid one of its apiVersion/kind. */
export function validateKubernetesObject(object: Json): void {
  const key = `${object.apiVersion}/${object.kind}`;
  const Model = MODELS[key];
  if (Model === undefined) throw new Error(`no Kubernetes schema known here for ${key}`);
  new Model(object).validate();
}

const gvk = {
  type: 'object',
  additionalProperties: false,
  required: ['group', 'version', 'kind'],
  properties: { group: { type: 'string' }, version: { type: 'string' }, kind: { type: 'string' } },
};
const gvr = {
  type: 'object',
  additionalProperties: false,
  required: ['group', 'version', 'resource'],
  properties: { group: { type: 'string' }, version: { type: 'string' }, resource: { type: 'string' } },
};

const ajv = new Ajv({ allErrors: true, strict: true });

const requestEnvelope = ajv.compile({
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'request'],
  properties: {
    apiVersion: { const: 'admission.k8s.io/v1' },
    kind: { const: 'AdmissionReview' },
    request: {
      type: 'object',
      additionalProperties: false,
      required: ['uid', 'kind', 'resource', 'operation', 'userInfo'],
      properties: {
        uid: { type: 'string', minLength: 1 },
        kind: gvk,
        resource: gvr,
        subResource: { type: 'string' },
        requestKind: gvk,
        requestResource: gvr,
        requestSubResource: { type: 'string' },
        name: { type: 'string' },
        namespace: { type: 'string' },
        operation: { enum: ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'] },
        userInfo: { type: 'object' },
        object: { type: 'object' },
        oldObject: { type: 'object' },
        dryRun: { type: 'boolean' },
        options: { type: 'object' },
      },
    },
  },
});

const responseEnvelope = ajv.compile({
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'response'],
  properties: {
    apiVersion: { const: 'admission.k8s.io/v1' },
    kind: { const: 'AdmissionReview' },
    response: {
      type: 'object',
      additionalProperties: false,
      required: ['uid', 'allowed'],
      properties: {
        uid: { type: 'string' },
        allowed: { type: 'boolean' },
        status: { type: 'object' },
        patch: { type: 'string' },
        patchType: { const: 'JSONPatch' },
        auditAnnotations: { type: 'object', additionalProperties: { type: 'string' } },
        warnings: { type: 'array', items: { type: 'string' } },
      },
    },
  },
});

/** An AdmissionReview request as the API server sends it; throws when it is not one. */
export function validateAdmissionRequest(review: Json): void {
  if (!requestEnvelope(review))
    throw new Error(`not an AdmissionReview request: ${ajv.errorsText(requestEnvelope.errors)}`);
  const request = review.request as Json;
  new UserInfo(request.userInfo as Json).validate();
  const kind = request.kind as { group: string; version: string; kind: string };
  const apiVersion = kind.group === '' ? kind.version : `${kind.group}/${kind.version}`;
  for (const key of ['object', 'oldObject'] as const) {
    const object = request[key] as Json | undefined;
    if (object === undefined) continue;
    if (object.apiVersion !== apiVersion || object.kind !== kind.kind)
      throw new Error(`request.${key} is not a ${apiVersion} ${kind.kind}`);
    validateKubernetesObject(object);
  }
}

/** An AdmissionReview response as the API server reads it; throws when it is not one. */
export function validateAdmissionResponse(review: Json): void {
  if (!responseEnvelope(review))
    throw new Error(`not an AdmissionReview response: ${ajv.errorsText(responseEnvelope.errors)}`);
  const status = (review.response as Json).status as Json | undefined;
  if (status !== undefined) new Status(status).validate();
}
