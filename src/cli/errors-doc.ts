/**
 * `docs/errors.md`, generated from the catalogue. The test suite regenerates it and fails when the
 * committed file differs, so the published list of codes is never stale.
 */
import { ERROR_CATALOGUE } from '../domain/index.js';

export function renderErrorDocs(): string {
  const rows = Object.entries(ERROR_CATALOGUE)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([code, spec]) => `| \`${code}\` | ${spec.status} | ${spec.message.replace(/\|/g, '\\|')} |`);
  return [
    '# Error codes',
    '',
    'Every error the hub answers with is `{"error":{"code","message","details","requestId"}}`.',
    'The `code` is stable: match on it, never on the message. The status of a code never changes.',
    'A message in braces (`{limitBytes}`) is filled from `details`. This file is generated from',
    '`src/domain/error-catalogue.ts` by `npm run docs:errors`; a test fails when it is stale.',
    '',
    '| code | HTTP status | meaning |',
    '| --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
