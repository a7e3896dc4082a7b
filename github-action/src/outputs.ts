/**
 * Step outputs, appended to the file `GITHUB_OUTPUT` names in the runner's multi-line form
 * (`name<<DELIMITER` … `DELIMITER`), with a random delimiter that the value cannot contain, so a value
 * (a path, a URL) can never end early and set another output.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { EOL } from 'node:os';

export function setOutput(name: string, value: string, env: NodeJS.ProcessEnv): void {
  const file = env.GITHUB_OUTPUT;
  if (!file) return; // not on a runner: nothing reads outputs
  const delimiter = `ghadelimiter_${randomUUID()}`;
  if (value.includes(delimiter)) throw new Error(`output ${name} contains its delimiter`);
  appendFileSync(file, `${name}<<${delimiter}${EOL}${value}${EOL}${delimiter}${EOL}`, 'utf8');
}
