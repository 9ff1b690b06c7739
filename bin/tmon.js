#!/usr/bin/env node
// The tmon command. It runs the compiled CLI from dist/ (built by `npm ci` through `prepare`).
import { runCli } from '../dist/cli/main.js';

process.exitCode = await runCli(process.argv);
