/**
 * Every gate JSON a test produces is checked against the published schema (docs/schemas), so the contract
 * a consumer codes against cannot drift from what the gate writes.
 */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';

const SCHEMA = JSON.parse(
  readFileSync(new URL('../../docs/schemas/gate-output.schema.json', import.meta.url), 'utf8'),
) as object;

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const validate = addFormats(new Ajv({ allErrors: true, strict: true })).compile(SCHEMA);

/** Throws with every schema error when `value` is not a valid gate JSON object. */
export function assertGateOutput(value: unknown): void {
  if (!validate(value)) {
    throw new Error(
      `gate JSON does not match docs/schemas/gate-output.schema.json:\n${(validate.errors ?? [])
        .map((e) => `  ${e.instancePath || '/'} ${e.message}`)
        .join('\n')}`,
    );
  }
}

/** The gate's JSON is the object with a verdict and decisions (not SARIF, a plan or a manifest). */
export function isGateOutput(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'verdict' in value && 'decisions' in value;
}

/** `text` parsed, when it is the gate's JSON; undefined for anything else (a table, SARIF, cut output). */
function gateJsonIn(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return isGateOutput(value) ? value : undefined;
}

/** The files a gate run wrote its JSON to: `--output`/`-o` with `--format json`, and each `--report json=`. */
export function gateJsonFiles(args: readonly string[]): string[] {
  const files: string[] = [];
  let format: string | undefined;
  let output: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = args[i + 1];
    if (a === '--format' && next !== undefined) format = next;
    else if (a.startsWith('--format=')) format = a.slice('--format='.length);
    else if ((a === '-o' || a === '--output') && next !== undefined) output = next;
    else if (a.startsWith('--output=')) output = a.slice('--output='.length);
    else if (a === '--report' && next?.startsWith('json=')) files.push(next.slice('json='.length));
  }
  if (format === 'json' && output !== undefined) files.push(output);
  return files;
}

/**
 * Every gate JSON a CLI run produced, on stdout or in a file it wrote, against the schema: called by the one
 * place tests start the CLI (spawn-cli.ts), so no test can read the gate's JSON without it being checked.
 */
export function assertGateJsonOf(stdout: string, files: ReadonlyArray<{ name: string; text: string }>): void {
  const value = gateJsonIn(stdout);
  if (value !== undefined) assertGateOutput(value);
  for (const f of files) {
    const inFile = gateJsonIn(f.text);
    if (inFile === undefined) continue;
    try {
      assertGateOutput(inFile);
    } catch (e) {
      throw new Error(`${f.name}: ${(e as Error).message}`);
    }
  }
}
