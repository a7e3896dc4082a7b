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
