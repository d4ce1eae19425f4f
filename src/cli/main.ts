#!/usr/bin/env node
// The `nact-checkpoint` command (package.json `bin`): runs the CLI on this process's arguments and exits with its code.
import { runCli } from './run-cli.js';

void runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then((code) => {
  process.exitCode = code;
});
