/**
 * The action's step: inputs → the gate (the CLI's own evaluation: cli/gate-evaluation.ts) → the JSON and
 * SARIF reports, annotations, outputs and the job summary → optionally the rebuild pull request
 * (integrations/rebuild-pull-request, as `driftgate pr` makes it). Returns the step's exit code:
 * 0 pass or warn (unless fail-on says otherwise), 1 fail, 2 bad input, 3 something could not be reached.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { runGateEvaluation } from '../../cli/gate-evaluation.js';
import { TOOL_VERSION } from '../../cli/options.js';
import { InputError, UnreachableError } from '../../engine/errors.js';
import type { Evaluation } from '../../engine/evaluate/types.js';
import { inert, markdownText } from '../../engine/formats/escape.js';
import { formatJson } from '../../engine/formats/json.js';
import { FINGERPRINT_KEY, formatSarif, sarifLog } from '../../engine/formats/sarif.js';
import { failsGate } from '../../engine/formats/view.js';
import { failOnResult, failsRun } from '../../engine/gate/fail-on.js';
import type { DockerfilePlan } from '../../engine/plan/types.js';
import type { Policy } from '../../engine/policy/types.js';
import { DEFAULT_API_URL, normalizeApiUrl } from '../../integrations/github/config.js';
import { bakeItemsByDockerfile, planAll } from '../../integrations/rebuild-pull-request/bake-items.js';
import { annotations, type Place } from './annotations.js';
import { expandFindings } from './findings-globs.js';
import { type ActionInputs, readInputs } from './inputs.js';
import { setOutput } from './outputs.js';
import { type PullRequestNote, summaryMarkdown, writeSummary } from './summary.js';
import { workflowCommand } from './workflow-commands.js';

export async function run(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const workspace = resolve(env.GITHUB_WORKSPACE || process.cwd());
  const temp = env.RUNNER_TEMP || workspace;
  // Nothing the gate prints while it reads findings and images (notes that may quote a repository or a
  // path from a finding) may be read by the runner as a command: commands are off until we print ours.
  const resume = `driftgate-${randomUUID()}`;
  process.stdout.write(`::stop-commands::${resume}\n`);
  let resumed = false;
  const resumeCommands = () => {
    if (!resumed) process.stdout.write(`::${resume}::\n`);
    resumed = true;
  };
  try {
    // Relative paths in inputs are relative to the checkout, as in any other step.
    process.chdir(workspace);
    const inputs = readInputs(env);
    const findings = await expandFindings(inputs.findings, workspace);
    const { evaluation, policies } = await runGateEvaluation({
      policy: inputs.policy,
      findings,
      format: 'json',
      ...(inputs.image ? { image: inputs.image } : {}),
      ...(inputs.imageArchive ? { imageArchive: inputs.imageArchive } : {}),
      ...(inputs.ociLayout ? { ociLayout: inputs.ociLayout } : {}),
      ...(inputs.repository ? { repository: inputs.repository } : {}),
      ...(inputs.since ? { since: inputs.since } : {}),
      ...(inputs.mode ? { mode: inputs.mode } : {}),
    });
    const failOn = failOnResult(evaluation, inputs.failOn);
    const plans = await dockerfilePlans(evaluation, policies, inputs);
    const pullRequest = inputs.openPr
      ? await openPullRequest(evaluation, policies, inputs, workspace, env)
      : undefined;

    const reportFile = join(temp, 'driftgate-report.json');
    const sarifFile = resolve(workspace, inputs.sarifFile ?? join(temp, 'driftgate.sarif'));
    const sarifContext = {
      policies,
      toolVersion: TOOL_VERSION,
      sourceRoot: workspace,
      dockerfiles: bakeLines(plans),
      ...(inputs.dockerfile ? { imageDockerfile: inputs.dockerfile } : {}),
    };
    await writeOut(reportFile, formatJson(evaluation, failOn), 'report');
    await writeOut(sarifFile, formatSarif(evaluation, sarifContext), 'sarif-file');
    resumeCommands();

    const places = sarifPlaces(evaluation, sarifContext);
    for (const line of annotations(evaluation, (d) => places.get(d.id), workspace))
      process.stdout.write(`${line}\n`);
    setOutput('verdict', evaluation.verdict, env);
    setOutput('violations', String(evaluation.decisions.filter(failsGate).length), env);
    setOutput('bakes', String(evaluation.summary.byOutcome.bake ?? 0), env);
    setOutput('report', reportFile, env);
    setOutput('sarif', sarifFile, env);
    setOutput('pull-request-url', pullRequest?.url ?? '', env);
    writeSummary(
      summaryMarkdown({ evaluation, policies, failOn, sarifFile, ...(pullRequest ? { pullRequest } : {}) }),
      env,
    );
    process.stdout.write(
      `driftgate: ${evaluation.verdict} (${evaluation.summary.decisions} decisions) for ${inert(evaluation.image.repository)}\n`,
    );
    return failsRun(failOn) ? 1 : 0;
  } catch (err) {
    resumeCommands();
    return reportError(err, env);
  }
}

/**
 * The Dockerfile plans of the bake decisions, for where annotations and SARIF place them. A Dockerfile that
 * cannot be read leaves them on their rules; with open-pr the same read fails the step with its reason.
 */
async function dockerfilePlans(
  ev: Evaluation,
  policies: readonly Policy[],
  inputs: ActionInputs,
): Promise<DockerfilePlan[]> {
  const byFile = bakeItemsByDockerfile(ev, policies, inputs.dockerfile);
  if (byFile.size === 0) return [];
  try {
    return await planAll(byFile);
  } catch (err) {
    if (err instanceof InputError) return [];
    throw err;
  }
}

/** `policy/rule` → the line of the CHECKED-OUT Dockerfile its bake edits (plans count lines in the new file). */
function bakeLines(plans: readonly DockerfilePlan[]): Record<string, { path: string; line: number }> {
  const out: Record<string, { path: string; line: number }> = {};
  for (const plan of plans) {
    for (const a of plan.applied) {
      out[`${a.policy}/${a.ruleId}`] ??= { path: plan.dockerfile, line: originalLine(plan, a.line) };
    }
  }
  return out;
}

function originalLine(plan: DockerfilePlan, newLine: number): number {
  let shift = 0;
  for (const e of [...plan.edits].sort((a, b) => a.offset - b.offset)) {
    const added = (e.insert.match(/\n/g) ?? []).length;
    if (newLine < e.line + shift) break;
    if (newLine <= e.line + shift + added) return e.line;
    shift += added;
  }
  return Math.max(1, newLine - shift);
}

function sarifPlaces(ev: Evaluation, ctx: Parameters<typeof sarifLog>[1]): Map<string, Place> {
  const places = new Map<string, Place>();
  for (const r of sarifLog(ev, ctx).runs[0]!.results) {
    const loc = r.locations[0]!.physicalLocation;
    places.set(r.partialFingerprints[FINGERPRINT_KEY]!, {
      file: decodeURIComponent(loc.artifactLocation.uri),
      line: loc.region.startLine,
    });
  }
  return places;
}

async function openPullRequest(
  evaluation: Evaluation,
  policies: Policy[],
  inputs: ActionInputs,
  workspace: string,
  env: NodeJS.ProcessEnv,
): Promise<PullRequestNote> {
  const { syncRebuildPullRequest, openRebuildTarget } = await import(
    '../../integrations/rebuild-pull-request/sync.js'
  );
  const result = await syncRebuildPullRequest(
    {
      evaluation,
      policies,
      dockerfiles: { from: 'work-tree', cwd: workspace },
      ...(inputs.dockerfile ? { dockerfile: inputs.dockerfile } : {}),
    },
    async () => {
      if (!inputs.githubToken)
        throw new InputError(
          'input github-token is empty: open-pr needs a token that can push and open pull requests',
        );
      return openRebuildTarget({
        dir: workspace,
        ...(env.GITHUB_REPOSITORY ? { repository: env.GITHUB_REPOSITORY } : {}),
        github: {
          apiUrl: normalizeApiUrl(env.GITHUB_API_URL?.trim() || DEFAULT_API_URL),
          token: inputs.githubToken,
        },
      });
    },
  );
  if (result.action === 'nothing-to-bake') return { action: 'nothing-to-bake' };
  return {
    action: result.action,
    ...(result.url ? { url: result.url } : {}),
    ...(result.number !== undefined ? { number: result.number } : {}),
  };
}

async function writeOut(file: string, text: string, input: string): Promise<void> {
  try {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, text);
  } catch (err) {
    throw new InputError(
      `cannot write the ${input} file ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`,
    );
  }
}

/** The CLI's messages name its flags (`--image-archive x: …`); the action's user wrote inputs. */
function inputNames(message: string): string {
  return message.replace(/^--(image-archive|oci-layout) /, 'input $1 ');
}

/**
 * One line, as an error annotation, for what stopped the gate: bad input (exit 2), or what could not be
 * reached (exit 3: the image, a findings source, GitHub). Never a pass.
 */
function reportError(err: unknown, env: NodeJS.ProcessEnv): number {
  if (err instanceof InputError) {
    const each = (err as { errors?: unknown }).errors;
    const lines = Array.isArray(each) && each.length > 0 ? each.map(String) : [err.toString()];
    for (const line of lines)
      process.stdout.write(`${workflowCommand('error', { title: 'driftgate: input error' }, inert(line))}\n`);
    writeSummary(
      `## driftgate: input error\n\n${lines.map((l) => `- ${markdownText(l)}`).join('\n')}\n`,
      env,
    );
    return 2;
  }
  if (err instanceof UnreachableError) {
    const line = `could not reach ${inputNames(err.message)}`;
    process.stdout.write(
      `${workflowCommand('error', { title: 'driftgate could not evaluate' }, inert(line))}\n`,
    );
    writeSummary(`## driftgate: could not evaluate\n\n${markdownText(line)}\n`, env);
    return 3;
  }
  const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stdout.write(`${workflowCommand('error', { title: 'driftgate: internal error' }, inert(text))}\n`);
  return 3;
}
