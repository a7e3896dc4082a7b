/** Validation of drift reports against the published JSON Schema (docs/schemas/drift-report.schema.json). */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { expect } from 'vitest';
import type { DriftReport } from '../../engine/report/types.js';

const schema = JSON.parse(readFileSync('docs/schemas/drift-report.schema.json', 'utf8'));
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats.default(ajv);
const validate = ajv.compile(schema);

export function expectValid(r: DriftReport): void {
  const ok = validate(JSON.parse(JSON.stringify(r)));
  expect(validate.errors ?? []).toEqual([]);
  expect(ok).toBe(true);
}
