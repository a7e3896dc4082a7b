#!/usr/bin/env node
// The published entry point: the compiled CLI lives in dist/ (built by `npm install` / `npm ci`).
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv);
