/**
 * The action's inputs, read the way the runner passes them: `INPUT_<NAME>` with the name upper-cased,
 * spaces turned into `_` and hyphens kept (`INPUT_IMAGE-ARCHIVE`). They are values, never shell text.
 * Lists (policy, findings) are one entry per line. A bad value is an InputError (exit 2) naming the input.
 */
import { InputError } from '../../engine/errors.js';
import { type FailOnCondition, parseFailOn } from '../../engine/gate/fail-on.js';

export interface ActionInputs {
  policy: string[];
  findings: string[];
  image?: string;
  imageArchive?: string;
  ociLayout?: string;
  repository?: string;
  mode?: 'enforce' | 'warn';
  since?: string;
  openPr: boolean;
  dockerfile?: string;
  githubToken?: string;
  sarifFile?: string;
  failOn: FailOnCondition[];
}

export function getInput(name: string, env: NodeJS.ProcessEnv): string {
  return (env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();
}

function optional(name: string, env: NodeJS.ProcessEnv): string | undefined {
  const value = getInput(name, env);
  return value === '' ? undefined : value;
}

function list(name: string, env: NodeJS.ProcessEnv): string[] {
  return getInput(name, env)
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** YAML 1.2 core schema booleans, as the runner's own toolkit reads them; anything else is a mistake. */
function boolean(name: string, env: NodeJS.ProcessEnv): boolean {
  const value = getInput(name, env);
  if (['', 'false', 'False', 'FALSE'].includes(value)) return false;
  if (['true', 'True', 'TRUE'].includes(value)) return true;
  throw new InputError(`input ${name}: ${JSON.stringify(value)} is not true or false`);
}

export function readInputs(env: NodeJS.ProcessEnv): ActionInputs {
  const policy = list('policy', env);
  if (policy.length === 0) throw new InputError('input policy: name at least one policy file or folder');
  const findings = list('findings', env);
  if (findings.length === 0)
    throw new InputError('input findings: name at least one findings file, glob or scc: source');
  const mode = optional('mode', env);
  if (mode !== undefined && mode !== 'enforce' && mode !== 'warn')
    throw new InputError(`input mode: ${JSON.stringify(mode)} is not enforce or warn`);
  let failOn: FailOnCondition[];
  try {
    failOn = parseFailOn(
      list('fail-on', env)
        .flatMap((l) => l.split(','))
        .map((s) => s.trim())
        .filter(Boolean),
    );
  } catch (err) {
    throw new InputError(`input fail-on: ${(err as Error).message.replace(/^--fail-on /, '')}`);
  }
  const inputs: ActionInputs = { policy, findings, openPr: boolean('open-pr', env), failOn };
  const set = <K extends keyof ActionInputs>(key: K, value: ActionInputs[K] | undefined) => {
    if (value !== undefined) inputs[key] = value;
  };
  set('image', optional('image', env));
  set('imageArchive', optional('image-archive', env));
  set('ociLayout', optional('oci-layout', env));
  set('repository', optional('repository', env));
  set('mode', mode);
  set('since', optional('since', env));
  set('dockerfile', optional('dockerfile', env));
  set('githubToken', optional('github-token', env));
  set('sarifFile', optional('sarif-file', env));
  const images = [inputs.image, inputs.imageArchive, inputs.ociLayout].filter((v) => v !== undefined);
  if (images.length !== 1)
    throw new InputError('name the image with exactly one of the inputs image, image-archive or oci-layout');
  return inputs;
}
