/** The sandbox warehouse as a hub config names it (suites add it to the sandbox config they edit). */
export const SANDBOX_WAREHOUSE = 'sandbox-warehouse';

/** Its partner entry: the sandbox's URL and credentials, filled from the harness's environment. */
export function sandboxWarehousePartner(): Record<string, unknown> {
  return {
    kind: 'warehouse',
    baseUrl: '${SANDBOX_URL}',
    credentials: {
      appKey: '${SANDBOX_WAREHOUSE_APP_KEY}',
      appSecret: '${SANDBOX_WAREHOUSE_APP_SECRET}',
      pushSecret: '${SANDBOX_WAREHOUSE_PUSH_SECRET}',
    },
    timeoutMs: 15_000,
  };
}
