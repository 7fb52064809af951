/**
 * Runs once around the whole test run. Its teardown runs after the reporters have printed the
 * summary, so its line is the last one of the output: what the run left out, and how to run it.
 */
export default function setup(): () => void {
  return () => {
    if (process.env.WAYGATE_TEST_PG_URL) return;
    process.stdout.write(
      '\nPostgreSQL suites skipped: WAYGATE_TEST_PG_URL is not set. Run them with ' +
        '`eval "$(scripts/test-postgres.sh)" && npm test` (or `bash .ci/run`, which always does).\n',
    );
  };
}
