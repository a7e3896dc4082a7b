/**
 * The two names Artifact Analysis is asked about: the project (`projects/<id>`, the parent of the
 * occurrences) and the image's resource URL (`https://<registry>/<path>@sha256:<hex>`, the value of the
 * `resourceUrl` filter). Both end up inside a request, the URL inside a quoted filter string, so both are
 * checked against a strict grammar here (no quote or backslash can get through) and rejected with an
 * InputError before anything is sent.
 */
import { InputError } from '../../engine/errors.js';
import { parseImageReference } from '../../engine/identity/reference.js';

// Google Cloud project ids: 6-30 of [a-z0-9-], starting with a letter, not ending with a hyphen; legacy
// domain-scoped ids carry a `domain:` prefix. Project numbers are accepted by the API in the same place.
const PROJECT_ID = /^(?:[a-z][a-z0-9.-]{0,61}[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const PROJECT_NUMBER = /^[1-9][0-9]{0,19}$/;
const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;

/** `my-project` or `projects/my-project` → `projects/my-project`; anything else is an InputError. */
export function projectParent(project: string): string {
  const id = project.startsWith('projects/') ? project.slice('projects/'.length) : project;
  if (!PROJECT_ID.test(id) && !PROJECT_NUMBER.test(id)) {
    throw new InputError(
      `invalid Google Cloud project id ${JSON.stringify(project.slice(0, 100))}: expected 6-30 lower-case letters, digits or hyphens, starting with a letter`,
    );
  }
  return `projects/${id}`;
}

/**
 * The resource URL Artifact Analysis files an image's occurrences under: its normalized repository and
 * manifest digest (`gcr.io/p/app` + `sha256:…` → `https://gcr.io/p/app@sha256:…`).
 */
export function resourceUrlFor(repository: string, digest: string): string {
  const ref = parseImageReference(repository);
  if (!ref || ref.tag !== undefined || ref.digest !== undefined) {
    throw new InputError(
      `invalid repository ${JSON.stringify(repository.slice(0, 300))}: expected registry/path without tag or digest`,
    );
  }
  const d = digest.toLowerCase();
  if (!SHA256_DIGEST.test(d)) {
    throw new InputError(
      `invalid image digest ${JSON.stringify(digest.slice(0, 100))}: expected sha256:<64 hex>`,
    );
  }
  return `https://${ref.repository}@${d}`;
}

/** Accepts exactly what resourceUrlFor produces; anything else is an InputError. */
export function checkResourceUrl(resourceUrl: string): string {
  const fail = () =>
    new InputError(
      `invalid image resource URL ${JSON.stringify(resourceUrl.slice(0, 300))}: expected https://<registry>/<path>@sha256:<64 hex>`,
    );
  if (!resourceUrl.startsWith('https://')) throw fail();
  const ref = parseImageReference(resourceUrl.slice('https://'.length));
  if (!ref?.digest || ref.tag !== undefined) throw fail();
  let canonical: string;
  try {
    canonical = resourceUrlFor(ref.repository, ref.digest);
  } catch {
    throw fail();
  }
  // A URL that only normalizes to a valid one (`https://nginx@…`, upper case) would not match what
  // Artifact Analysis stored, and the filter would silently find nothing.
  if (canonical !== resourceUrl) throw fail();
  return resourceUrl;
}
