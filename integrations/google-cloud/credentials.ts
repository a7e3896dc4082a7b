/**
 * Google's credentials (Application Default Credentials), looked up before a Google client is made.
 *
 * Why first: a client made where there are none fails every call, which is fine, but also leaves
 * promises behind that reject with nobody listening (the Security Command Center client starts a
 * long-running-operations stub as it is constructed), and an unhandled rejection ends the process with a
 * stack trace instead of exit 3 and one line. Looking them up first turns "no credentials" into one clear
 * UnreachableError, and the client is then handed the same, already resolved, auth object, so the lookup
 * (which may probe the GCE metadata server) happens once.
 */
import { createRequire } from 'node:module';
import { UnreachableError } from '../../engine/errors.js';

/** What the client libraries accept as `auth`: a google-auth-library GoogleAuth. */
export type GoogleAuthLike = { getClient(): Promise<unknown> };

const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';

/**
 * A GoogleAuth from the copy of google-auth-library that `libraryPackage` itself uses (client libraries
 * pin different majors), with its credentials found. `what` names the call in the error.
 */
export async function googleAuthFor(libraryPackage: string, what: string): Promise<GoogleAuthLike> {
  const here = createRequire(import.meta.url);
  const { GoogleAuth } = createRequire(here.resolve(libraryPackage))('google-auth-library') as {
    GoogleAuth: new (opts: { scopes: string[] }) => GoogleAuthLike;
  };
  const auth = new GoogleAuth({ scopes: [CLOUD_PLATFORM] });
  const restore = withoutMetadataWarnings();
  try {
    await auth.getClient();
  } catch (err) {
    throw new UnreachableError(
      `${what}: no Google credentials (set up Application Default Credentials, e.g. \`gcloud auth application-default login\` or workload identity): ${firstLine(err)}`,
    );
  } finally {
    restore();
  }
  return auth;
}

/**
 * Off Google Cloud the lookup's probe of the metadata server ends in a Node warning printed to stderr
 * (`MetadataLookupWarning`); the error above says what matters, in the CLI's one line.
 */
function withoutMetadataWarnings(): () => void {
  const original = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    if (type === 'MetadataLookupWarning' || (warning as Error)?.name === 'MetadataLookupWarning') return;
    return (original as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  return () => {
    process.emitWarning = original;
  };
}

function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return (message.split('\n')[0] ?? '').replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').slice(0, 200);
}
