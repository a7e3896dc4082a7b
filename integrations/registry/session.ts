/**
 * A conversation with one repository of one registry: remembers how it authenticated so that the
 * manifest, config and every layer request reuse one token, answers 401s (once per request, so a
 * bad login cannot loop), and follows redirects to blob storage without leaking Authorization.
 */
import { UnreachableError } from '../../engine/errors.js';
import { AuthRejected, authorize, parseChallenges } from './auth.js';
import { type BodyContext, readBounded } from './body.js';
import { type Credentials, credentialsFor, defaultDockerConfigPath } from './docker-config.js';
import { type NetworkBounds, networkBoundsFromEnv } from './network-bounds.js';
import { baseUrl, type ImageReference, isLoopbackHost, printable } from './reference.js';
import { DEFAULT_RETRY, type RetryPolicy, send, type TransportOptions } from './transport.js';

export interface SessionOptions {
  dockerConfigPath?: string;
  fetch?: typeof fetch;
  retry?: RetryPolicy;
  /** Default: from the environment (DRIFTGATE_REGISTRY_*), see network-bounds.ts. */
  bounds?: NetworkBounds;
}

const MAX_REDIRECTS = 5;

export class RegistrySession {
  readonly transport: TransportOptions;
  private authorization: string | undefined;
  private credentials: Promise<Credentials | undefined> | undefined;

  constructor(
    readonly ref: Pick<ImageReference, 'registry' | 'path'>,
    /** The image as the user named it, for messages. */
    readonly what: string,
    private readonly options: SessionOptions = {},
  ) {
    this.transport = {
      fetch: options.fetch ?? fetch,
      retry: options.retry ?? DEFAULT_RETRY,
      what,
      bounds: options.bounds ?? networkBoundsFromEnv(),
    };
  }

  /**
   * GET `/v2/<name>/<suffix>`. Returns the final response whatever its status (callers know what a
   * 404 means for them), except that authentication failures become UnreachableError here.
   */
  async get(suffix: string, accept?: string, range?: string): Promise<Response> {
    const url = `${baseUrl(this.ref.registry)}/v2/${this.ref.path}/${suffix}`;
    let response = await this.follow(url, accept, range);
    if (response.status === 401) {
      const header = response.headers.get('www-authenticate') ?? '';
      await response.body?.cancel().catch(() => {});
      const credentials = await this.loadCredentials();
      try {
        this.authorization = await authorize(
          parseChallenges(header),
          credentials,
          `repository:${this.ref.path}:pull`,
          this.transport,
        );
      } catch (err) {
        if (err instanceof AuthRejected)
          throw new UnreachableError(`${this.what}: access denied: ${err.message}`);
        throw err;
      }
      response = await this.follow(url, accept, range);
      if (response.status === 401) {
        await response.body?.cancel().catch(() => {});
        // Docker Hub answers 401, not 404, for repositories that do not exist: say both.
        const why = credentials
          ? 'the registry rejected the credentials'
          : 'the registry requires a login (or the repository does not exist); none found';
        throw new UnreachableError(`${this.what}: access denied: ${why}`);
      }
    }
    if (response.status === 403) {
      await response.body?.cancel().catch(() => {});
      throw new UnreachableError(
        `${this.what}: access denied (HTTP 403): the credentials do not allow pulling this repository`,
      );
    }
    return response;
  }

  /** `range`: an HTTP Range (`bytes=N-`), sent to the registry and to blob storage alike. */
  private async follow(start: string, accept: string | undefined, range?: string): Promise<Response> {
    const origin = new URL(start).origin;
    let url = start;
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = {};
      if (accept) headers.accept = accept;
      if (range) headers.range = range;
      // Blob storage (S3, GCS) gets a pre-signed URL; the registry's token is for the registry only.
      const target = new URL(url);
      if (this.authorization && target.origin === origin) headers.authorization = this.authorization;
      const response = await send(url, { headers }, this.transport);
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || response.status === 304 || !location)
        return response;
      await response.body?.cancel().catch(() => {});
      if (hop >= MAX_REDIRECTS)
        throw new UnreachableError(`${this.what}: too many redirects from ${target.host}`);
      const next = new URL(location, url);
      if (next.protocol !== 'https:' && !(next.protocol === 'http:' && isLoopbackHost(next.host))) {
        throw new UnreachableError(
          `${this.what}: registry redirected to a non-https URL on ${printable(next.host)}`,
        );
      }
      url = next.toString();
    }
  }

  private loadCredentials(): Promise<Credentials | undefined> {
    this.credentials ??= credentialsFor(
      this.ref.registry,
      this.options.dockerConfigPath ?? defaultDockerConfigPath(),
      this.what,
    );
    return this.credentials;
  }
}

/** Registry error bodies (`{"errors":[{"code":"MANIFEST_UNKNOWN",…}]}`): the codes only, they are safe to print. */
export async function errorCodes(response: Response, ctx: BodyContext): Promise<string[]> {
  try {
    const limit = { bytes: ctx.bounds.maxErrorBytes };
    const text = (await readBounded(response, limit, 'error body', ctx)).toString('utf8');
    const body = JSON.parse(text) as { errors?: Array<{ code?: unknown }> };
    return (body.errors ?? [])
      .map((e) => e.code)
      .filter((c): c is string => typeof c === 'string' && /^[A-Z_]{1,40}$/.test(c));
  } catch {
    return [];
  }
}

/** One line for a non-2xx answer: what a user needs to tell "no such image" from "registry broken". */
export async function describeFailure(
  response: Response,
  ctx: BodyContext,
  asked: string,
): Promise<UnreachableError> {
  const what = ctx.what;
  const codes = await errorCodes(response, ctx);
  const detail = codes.length > 0 ? ` (${codes.join(', ')})` : '';
  if (response.status === 404) {
    return new UnreachableError(`${what}: ${asked} not found in the registry${detail}`);
  }
  return new UnreachableError(`${what}: registry answered HTTP ${response.status} for ${asked}${detail}`);
}
