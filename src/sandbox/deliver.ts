import { request, type Dispatcher } from 'undici';

/**
 * One attempt to deliver a partner push (webhook or callback): true when the receiver answered
 * 2xx, false on any other status, a network error or a timeout. Retry policy is the caller's:
 * each simulated partner retries the way its real counterpart does.
 */
export async function deliverOnce(
  dispatcher: Dispatcher,
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<boolean> {
  try {
    const res = await request(url, {
      method: 'POST',
      dispatcher,
      headers,
      body,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    await res.body.dump();
    return res.statusCode >= 200 && res.statusCode < 300;
  } catch {
    return false;
  }
}
