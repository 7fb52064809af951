/**
 * The China Customs CEB 2022-05 specification pack (official XSDs and sample receipts) is the
 * customs authority's, read in place and never copied into this repository. A machine without it
 * cannot run the suites that validate against it: they are left out, and the run says so.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defaultXsdDirs } from '../../src/connectors/customs/china-ceb/xsd.js';

export const CEB_PACK_SUITES = [
  'src/connectors/customs/china-ceb/messages.test.ts',
  'src/connectors/customs/china-ceb/receipts.test.ts',
  'src/connectors/customs/china-ceb/sign.test.ts',
  'test/customs-declare.test.ts',
  'test/customs-cli.test.ts',
  'src/sandbox/customs.test.ts',
  'test/customs-jobs.test.ts',
  'test/customs-crash.test.ts',
];

export function cebPackFound(): boolean {
  return defaultXsdDirs().some((d) => existsSync(join(d, 'import-business-202205.xsd')));
}
