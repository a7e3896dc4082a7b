/** The bundled entry point (action.yml `main`): runs the step and sets its exit code. */
import { run } from './run.js';

run().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stdout.write(`::error::driftgate: internal error: ${String(err).replace(/[\r\n%]/g, ' ')}\n`);
    process.exitCode = 3;
  },
);
