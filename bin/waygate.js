#!/usr/bin/env node
// The CLI is compiled to dist/ by `npm install` (prepare script); run it from there.
import { main } from '../dist/cli/main.js';

main(process.argv).catch((err) => {
  process.stderr.write(`waygate: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
