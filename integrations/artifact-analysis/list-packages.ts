/**
 * The packages Artifact Analysis found in one image: the PACKAGE occurrences filed under the image's
 * resource URL in a project, read with the real Google client (`@google-cloud/containeranalysis`, whose
 * `getGrafeasClient()` speaks Grafeas v1), every page of them.
 */
import { ContainerAnalysisClient } from '@google-cloud/containeranalysis';
import { type GoogleAuthLike, googleAuthFor } from '../google-cloud/credentials.js';
import {
  clientOptions,
  type ListingOptions,
  MAX_PAGE_SIZE,
  pageCallOptions,
  pages,
} from '../google-cloud/listing.js';
import { mapGrafeasError } from './errors.js';
import { type AnalysisPackage, packageFromOccurrence } from './occurrence.js';
import { checkResourceUrl, projectParent } from './resource.js';

export type GrafeasClient = ReturnType<ContainerAnalysisClient['getGrafeasClient']>;

export interface ListImagePackagesOptions extends ListingOptions {
  /** `my-project` or `projects/my-project`: where the occurrences are stored. */
  project: string;
  /** `https://<registry>/<path>@sha256:<hex>` (see resourceUrlFor). */
  resourceUrl: string;
  /** A client to use (and leave open). Without one, a client is made from the options below and closed. */
  client?: ContainerAnalysisClient | GrafeasClient;
}

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
    const responses = pages(async (pageToken) => {
      try {
        const [, , response] = await grafeas.listOccurrences(
          { parent, filter: `resourceUrl="${resourceUrl}" AND kind="PACKAGE"`, pageSize, pageToken },
          pageCallOptions(opts),
        );
        return response;
      } catch (err) {
        throw mapGrafeasError(err, what);
      }
    }, `Artifact Analysis: ${what}`);
    for await (const response of responses) {
      for (const occurrence of response?.occurrences ?? []) {
        const pkg = packageFromOccurrence(occurrence, resourceUrl);
        if (pkg) packages.push(pkg);
      }
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
  const owned = given ? undefined : new ContainerAnalysisClient(clientOptions(opts, auth));
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
