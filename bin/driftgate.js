#!/usr/bin/env node
// The published entry point: the compiled CLI lives in dist/ (built by `npm install` / `npm ci`).
import { main } from '../dist/cli/main.js';

// `driftgate manifest … | head` closes the pipe early: that is the reader's choice, not a crash.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  throw err;
});

process.exitCode = await main(process.argv);
