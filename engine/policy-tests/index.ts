/** Policy tests (`driftgate policy test`): see format.ts for the `<name>.test.yaml` format. */
export { type PolicyTestFile, parsePolicyTestFile, type TestCase } from './format.js';
export { type PolicyTestResult, runPolicyTests } from './run.js';
