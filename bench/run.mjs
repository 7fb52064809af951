#!/usr/bin/env node
// `npm run bench`: builds nothing itself (npm install did), runs the benchmarks in this folder.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const out = fileURLToPath(
  new URL(`./results/spine-${new Date().toISOString().slice(0, 10)}.md`, import.meta.url),
);
execFileSync(
  process.execPath,
  [fileURLToPath(new URL('./spine.mjs', import.meta.url)), '--out', out, ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
