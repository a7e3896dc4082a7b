/**
 * Closing the loop in Security Command Center: driftgate's decision written onto each finding as security
 * marks (`driftgate-outcome`, `driftgate-rule`, `driftgate-pr`), and findings that need nothing more
 * (the binary is in the current image, or an unexpired exception covers it) muted, so the SCC console
 * shows what was handled and why. The same for v1 and v2 (a v2 finding name carries its location).
 */
import { SecurityCenterClient, v2 } from '@google-cloud/security-center';
import { googleAuthFor } from '../google-cloud/credentials.js';
import type { GoogleEndpoint } from '../google-cloud/listing.js';
import { clientOptions } from '../google-cloud/listing.js';
import { withRetries } from '../google-cloud/retry.js';
import { sccError } from './list-findings.js';
import type { SccApiVersion } from './parent.js';

export interface FindingMarks {
  /** The finding's resource name, as the API gave it. */
  finding: string;
  marks: Record<string, string>;
  mute: boolean;
}

export interface MarkOptions extends GoogleEndpoint {
  api?: SccApiVersion;
  retryDelayMs?: number;
  timeoutMs?: number;
}

type Call = (request: unknown, options: unknown) => Promise<unknown>;

export async function markFindings(changes: Iterable<FindingMarks>, opts: MarkOptions = {}): Promise<number> {
  const auth =
    opts.sslCreds === undefined
      ? await googleAuthFor('@google-cloud/security-center', 'scc mark')
      : undefined;
  const client =
    opts.api === 'v2'
      ? new v2.SecurityCenterClient(clientOptions(opts, auth))
      : new SecurityCenterClient(clientOptions(opts, auth));
  const callOptions = { timeout: opts.timeoutMs ?? 30_000, maxRetries: 0 };
  const retry = opts.retryDelayMs === undefined ? {} : { baseDelayMs: opts.retryDelayMs };
  const c = client as unknown as { updateSecurityMarks: Call; setMute: Call };
  let calls = 0;
  try {
    for (const change of changes) {
      const keys = Object.keys(change.marks).sort();
      try {
        await withRetries(
          () =>
            c.updateSecurityMarks.call(
              client,
              {
                securityMarks: { name: `${change.finding}/securityMarks`, marks: change.marks },
                // Only driftgate's own marks are replaced; marks others set stay as they are.
                updateMask: { paths: keys.map((k) => `marks.${k}`) },
              },
              callOptions,
            ),
          retry,
        );
      } catch (err) {
        throw sccError(err, `scc:${change.finding}`, 'securitycenter.securitymarks.update');
      }
      calls++;
      if (!change.mute) continue;
      try {
        await withRetries(
          () => c.setMute.call(client, { name: change.finding, mute: 'MUTED' }, callOptions),
          retry,
        );
      } catch (err) {
        throw sccError(err, `scc:${change.finding}`, 'securitycenter.findings.setMute');
      }
      calls++;
    }
  } finally {
    await client.close().catch(() => undefined);
  }
  return calls;
}
