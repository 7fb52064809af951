/**
 * Runs once around the whole test run. Its teardown runs after the reporters have printed the
 * summary, so its line is the last one of the output: what the run left out, and how to run it.
 */
import { cebPackFound } from './ceb-pack.js';

export default function setup(): () => void {
  return () => {
    if (!cebPackFound()) {
      process.stdout.write(
        '\nCustoms CEB suites skipped: the CEB 2022-05 XSD pack was not found. Point ' +
          'WAYGATE_CEB_XSD_DIR at its xsd folder (see docs/customs.md) to run them.\n',
      );
    }
    if (process.env.WAYGATE_TEST_PG_URL) return;
    process.stdout.write(
      '\nPostgreSQL suites skipped: WAYGATE_TEST_PG_URL is not set. Run them with ' +
        '`eval "$(scripts/test-postgres.sh)" && npm test` (or `bash .ci/run`, which always does).\n',
    );
  };
}
