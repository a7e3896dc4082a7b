/**
 * The packages Artifact Analysis found in one image: the PACKAGE occurrences filed under the image's
 * resource URL in a project, read with the real Google client (`@google-cloud/containeranalysis`, whose
 * `getGrafeasClient()` speaks Grafeas v1), every page of them.
 */
import { ContainerAnalysisClient, type protos } from '@google-cloud/containeranalysis';
import type { ChannelCredentials } from '@grpc/grpc-js';
import { UnreachableError } from '../../engine/errors.js';
import { type GoogleAuthLike, googleAuthFor } from '../google-cloud/credentials.js';
import { mapGrafeasError } from './errors.js';
import { type AnalysisPackage, packageFromOccurrence } from './occurrence.js';
import { checkResourceUrl, projectParent } from './resource.js';

export type GrafeasClient = ReturnType<ContainerAnalysisClient['getGrafeasClient']>;

export interface ListImagePackagesOptions {
  /** `my-project` or `projects/my-project`: where the occurrences are stored. */
  project: string;
  /** `https://<registry>/<path>@sha256:<hex>` (see resourceUrlFor). */
  resourceUrl: string;
  /** A client to use (and leave open). Without one, a client is made from the options below and closed. */
  client?: ContainerAnalysisClient | GrafeasClient;
  /** Host of the API (default `containeranalysis.googleapis.com`). */
  apiEndpoint?: string;
  port?: number;
  /**
   * Channel credentials to use instead of TLS + Application Default Credentials (e.g. insecure, for a
   * local server). Google auth is then not consulted at all.
   */
  sslCreds?: ChannelCredentials;
  /** Occurrences per page (the API's maximum, 1000, by default). */
  pageSize?: number;
  /** Per-request deadline. */
  timeoutMs?: number;
}

const MAX_PAGE_SIZE = 1000;
const DEFAULT_TIMEOUT_MS = 30_000;
// The library retries UNAVAILABLE / DEADLINE_EXCEEDED for up to ten minutes by default; a gate in CI
// should report "unreachable" long before that. Two quick retries ride out a blip.
const MAX_RETRIES = 2;

/** Sorted by name, then version. Errors: InputError (bad project or URL), UnreachableError (the service). */
export async function listImagePackages(opts: ListImagePackagesOptions): Promise<AnalysisPackage[]> {
  const parent = projectParent(opts.project);
  const resourceUrl = checkResourceUrl(opts.resourceUrl);
  const pageSize = opts.pageSize ?? MAX_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    throw new RangeError(`pageSize must be an integer from 1 to ${MAX_PAGE_SIZE}, not ${pageSize}`);
  }
  const what = `listing PACKAGE occurrences of ${resourceUrl} in ${parent}`;
  // Credentials first (unless a client or a local endpoint's own channel credentials are given).
  const auth =
    opts.client === undefined && opts.sslCreds === undefined
      ? await googleAuthFor('@google-cloud/containeranalysis', `Artifact Analysis: ${what}`)
      : undefined;
  const { grafeas, close } = openClient(opts, auth);
  try {
    const packages: AnalysisPackage[] = [];
    const seenTokens = new Set<string>();
    let pageToken = '';
    for (;;) {
      let response: protos.grafeas.v1.IListOccurrencesResponse | undefined;
      try {
        [, , response] = await grafeas.listOccurrences(
          { parent, filter: `resourceUrl="${resourceUrl}" AND kind="PACKAGE"`, pageSize, pageToken },
          { autoPaginate: false, timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, maxRetries: MAX_RETRIES },
        );
      } catch (err) {
        throw mapGrafeasError(err, what);
      }
      for (const occurrence of response?.occurrences ?? []) {
        const pkg = packageFromOccurrence(occurrence, resourceUrl);
        if (pkg) packages.push(pkg);
      }
      const next = response?.nextPageToken ?? '';
      if (next === '') break;
      // A server handing back a token it already gave would have us page forever.
      if (seenTokens.has(next)) throw new UnreachableError(`Artifact Analysis: ${what}: paging does not end`);
      seenTokens.add(next);
      pageToken = next;
    }
    return packages.sort(byNameThenVersion);
  } finally {
    await close();
  }
}

function openClient(
  opts: ListImagePackagesOptions,
  auth: GoogleAuthLike | undefined,
): { grafeas: GrafeasClient; close: () => Promise<void> } {
  const given = opts.client;
  // Told apart by shape rather than instanceof, so a client from another copy of the library works too.
  if (given && !('getGrafeasClient' in given)) return { grafeas: given, close: async () => {} };
  const owned = given
    ? undefined
    : new ContainerAnalysisClient({
        ...(auth !== undefined ? { auth: auth as never } : {}),
        ...(opts.apiEndpoint !== undefined ? { apiEndpoint: opts.apiEndpoint } : {}),
        ...(opts.port !== undefined ? { port: opts.port } : {}),
        // With channel credentials of our own, gax skips Google auth for calls, but it still asks the
        // auth library for the universe domain, which looks for Application Default Credentials (and
        // may probe the GCE metadata server). Naming the domain answers that question locally.
        ...(opts.sslCreds !== undefined ? { sslCreds: opts.sslCreds, universeDomain: 'googleapis.com' } : {}),
      });
  // getGrafeasClient() makes a new client (and channel) every time: it is ours to close either way.
  const grafeas = (given ?? owned)!.getGrafeasClient();
  return {
    grafeas,
    // Closing must not replace the error that ended the listing.
    close: async () => {
      await grafeas.close().catch(() => undefined);
      await owned?.close().catch(() => undefined);
    },
  };
}

function byNameThenVersion(a: AnalysisPackage, b: AnalysisPackage): number {
  return cmp(a.name, b.name) || cmp(a.version ?? '', b.version ?? '');
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
