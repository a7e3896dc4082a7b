/** `driftgate serve`: the REST service (docs/service.md, openapi.yaml). Thin: flags → service/server.ts. */
import { type Command, InvalidArgumentError } from 'commander';
import { InputError } from '../../engine/errors.js';
import { collect } from '../options.js';
import { useColor } from '../ui.js';

interface ServeFlags {
  policy: string[];
  dataDir: string;
  database?: string;
  port: number;
  host: string;
  tokens?: string;
  insecureNoAuth?: boolean;
  failOpen?: boolean;
  since: string;
  bodyLimit: number;
  rateLimit: number;
  pubsubAudience?: string;
  pubsubEmail?: string;
  pubsubIssuer?: string;
  pubsubJwksUrl?: string;
  tlsCert?: string;
  tlsKey?: string;
  admissionFailureMode?: string;
  admissionExemptNamespace: string[];
  admissionExemptImage: string[];
  rebuildRepo?: string;
  rebuildRemote: string;
  rebuildGithubRepo?: string;
  rebuildBase?: string;
  rebuildDockerfile?: string;
}

function integer(flag: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^[0-9]+$/.test(value) || n < min || n > max)
      throw new InvalidArgumentError(`${flag} must be an integer from ${min} to ${max}`);
    return n;
  };
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the REST service: findings store, deployment checks, evaluations (openapi.yaml)')
    .requiredOption(
      '-p, --policy <file|dir>',
      'policy file or folder (repeatable); SIGHUP reloads them',
      collect,
      [],
    )
    .option('--data-dir <dir>', 'where the store and the layer cache live', 'driftgate-data')
    .option(
      '--database <url>',
      'store findings in this PostgreSQL database (postgres://…) instead of SQLite in --data-dir, so replicas share them (default $DRIFTGATE_DATABASE_URL)',
    )
    .option('--port <n>', 'port to listen on (0: any free port)', integer('--port', 0, 65535), 8080)
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--tokens <file>', 'bearer tokens file (default $DRIFTGATE_TOKENS_FILE)')
    .option('--insecure-no-auth', 'no tokens: every request is allowed (loopback only)')
    .option('--fail-open', 'allow a deployment that cannot be evaluated (the answer says so)')
    .option('--since <duration>', 'how far back stored findings count for deployment checks', '30d')
    .option(
      '--body-limit <bytes>',
      'largest request body',
      integer('--body-limit', 1024, 1024 ** 3),
      10 * 1024 * 1024,
    )
    .option(
      '--rate-limit <n>',
      'requests per client per minute (0: no limit)',
      integer('--rate-limit', 0, 1e9),
      1200,
    )
    .option('--pubsub-audience <aud>', 'accept Pub/Sub push OIDC tokens for this audience')
    .option('--pubsub-email <email>', 'the push subscription service account')
    .option('--pubsub-issuer <url>', 'OIDC issuer (default https://accounts.google.com)')
    .option('--pubsub-jwks-url <url>', "the issuer's JWKS (default Google's)")
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM); SIGHUP re-reads it')
    .option('--tls-key <file>', 'the private key of --tls-cert (PEM)')
    .option(
      '--admission-failure-mode <open|closed>',
      'POST /v1/admission: an image not evaluated in time is allowed with a warning (open) or denied (default: closed, open with --fail-open)',
    )
    .option(
      '--admission-exempt-namespace <ns>',
      'POST /v1/admission: allow this namespace unchecked (repeatable)',
      collect,
      [],
    )
    .option(
      '--admission-exempt-image <pattern>',
      'POST /v1/admission: allow images matching this reference pattern unchecked; * matches any text (repeatable)',
      collect,
      [],
    )
    .option(
      '--rebuild-repo <dir>',
      'git checkout POST /v1/rebuilds opens pull requests from (GITHUB_TOKEN, GITHUB_API_URL as for pr)',
    )
    .option('--rebuild-remote <name>', 'git remote of --rebuild-repo to push to', 'origin')
    .option(
      '--rebuild-github-repo <owner/name>',
      'GitHub repository (default: $GITHUB_REPOSITORY, else the remote URL)',
    )
    .option('--rebuild-base <branch>', "base branch (default: the repository's default branch)")
    .option(
      '--rebuild-dockerfile <path>',
      "edit this Dockerfile (repository-relative) instead of each rule's",
    )
    .action(async (flags: ServeFlags) => {
      const { serve, DEFAULT_WINDOW_MS } = await import('../../service/server.js');
      const { parseDuration } = await import('../../engine/time/instants.js');
      const { DEFAULT_MAX_BYTES } = await import('../../integrations/layer-cache/index.js');
      const windowMs = flags.since === '30d' ? DEFAULT_WINDOW_MS : parseDuration(flags.since);
      if (windowMs === undefined || windowMs <= 0)
        throw new InputError('--since must be a duration such as 30d or 12h');
      if ((flags.pubsubAudience === undefined) !== (flags.pubsubEmail === undefined))
        throw new InputError('--pubsub-audience and --pubsub-email go together');
      const tokens = flags.tokens ?? process.env.DRIFTGATE_TOKENS_FILE;
      const { parseDatabaseUrl } = await import('../../integrations/store/database-url.js');
      const databaseUrl = flags.database ?? (process.env.DRIFTGATE_DATABASE_URL || undefined);
      const database =
        databaseUrl === undefined
          ? undefined
          : parseDatabaseUrl(
              databaseUrl,
              flags.database !== undefined ? '--database' : 'DRIFTGATE_DATABASE_URL',
            );
      if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined))
        throw new InputError('--tls-cert and --tls-key go together');
      const mode = flags.admissionFailureMode;
      if (mode !== undefined && mode !== 'open' && mode !== 'closed')
        throw new InputError(`--admission-failure-mode is open or closed, not ${JSON.stringify(mode)}`);
      const rebuildOnly = [flags.rebuildGithubRepo, flags.rebuildBase, flags.rebuildDockerfile];
      if (flags.rebuildRepo === undefined && rebuildOnly.some((f) => f !== undefined))
        throw new InputError(
          '--rebuild-github-repo, --rebuild-base and --rebuild-dockerfile need --rebuild-repo',
        );
      let rebuild: import('../../service/rebuild-pull-requests.js').RebuildSettings | undefined;
      if (flags.rebuildRepo !== undefined) {
        const { gitHubConfigForServe } = await import('../../service/rebuild-pull-requests.js');
        const githubRepository = flags.rebuildGithubRepo ?? process.env.GITHUB_REPOSITORY;
        rebuild = {
          repo: flags.rebuildRepo,
          remote: flags.rebuildRemote,
          ...(githubRepository ? { githubRepository } : {}),
          ...(flags.rebuildBase ? { baseBranch: flags.rebuildBase } : {}),
          ...(flags.rebuildDockerfile ? { dockerfile: flags.rebuildDockerfile } : {}),
          github: gitHubConfigForServe(process.env),
        };
      }
      await serve({
        policy: flags.policy,
        dataDir: flags.dataDir,
        ...(database ? { database } : {}),
        port: flags.port,
        host: flags.host,
        ...(tokens ? { tokens } : {}),
        insecureNoAuth: flags.insecureNoAuth === true,
        failOpen: flags.failOpen === true,
        windowMs,
        bodyLimit: flags.bodyLimit,
        rateLimitPerMinute: flags.rateLimit === 0 ? false : flags.rateLimit,
        cacheMaxBytes: DEFAULT_MAX_BYTES,
        color: useColor(process.stdout),
        ...(flags.tlsCert && flags.tlsKey ? { tls: { cert: flags.tlsCert, key: flags.tlsKey } } : {}),
        admission: {
          failOpen: mode === undefined ? flags.failOpen === true : mode === 'open',
          exemptNamespaces: flags.admissionExemptNamespace,
          exemptImages: flags.admissionExemptImage,
        },
        ...(rebuild ? { rebuild } : {}),
        ...(flags.pubsubAudience && flags.pubsubEmail
          ? {
              pubsub: {
                audience: flags.pubsubAudience,
                email: flags.pubsubEmail,
                ...(flags.pubsubIssuer ? { issuer: flags.pubsubIssuer } : {}),
                ...(flags.pubsubJwksUrl ? { jwksUrl: flags.pubsubJwksUrl } : {}),
              },
            }
          : {}),
      });
    });
}
