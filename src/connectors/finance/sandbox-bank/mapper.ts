/**
 * The bank's rate answer `{"base","quote","date","rate","source"}` read into a decimal rate.
 * Pure: no I/O, no clock. The bank's field names stay in this folder. An answer about another pair
 * or day than the one asked, or a rate that is not a positive decimal, is a malformed answer:
 * converting a bill with it would be silently wrong.
 */
import { isFxRate } from '../../../domain/settlement/index.js';
import { MalformedAnswer, type JsonOperation } from '../../contract.js';
import type { PartnerRejection, PartnerResult } from '../../types.js';
import { meaningOf } from './codes.js';

export interface RateQuestion {
  base: string;
  quote: string;
  day: string;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The bank's error body `{"error": "text"}` as one message. */
export function errorDetails(rawBody: string): { message: string } {
  try {
    const parsed: unknown = JSON.parse(rawBody);
    if (isObject(parsed) && typeof parsed.error === 'string') return { message: parsed.error.slice(0, 500) };
  } catch {
    // not JSON: the text itself
  }
  const text = rawBody.trim().slice(0, 200);
  return { message: text.length > 0 ? text : 'no error details' };
}

export function readRate(
  q: RateQuestion,
  status: number,
  rawBody: string,
): PartnerResult<string | undefined> {
  const meaning = meaningOf(status);
  if (meaning === 'no_rate') return { ok: true, value: undefined };
  if (meaning === 'refused') {
    const rejection: PartnerRejection = {
      code: String(status),
      message: errorDetails(rawBody).message,
      status,
    };
    return { ok: false, error: rejection };
  }
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    throw new MalformedAnswer('the rate answer is not JSON');
  }
  if (!isObject(body)) throw new MalformedAnswer('the rate answer is not a JSON object');
  if (body.base !== q.base || body.quote !== q.quote || body.date !== q.day)
    throw new MalformedAnswer(`the answer is not about ${q.base}/${q.quote} on ${q.day}`);
  if (typeof body.rate !== 'string' || !isFxRate(body.rate))
    throw new MalformedAnswer('rate must be a decimal string above 0');
  return { ok: true, value: body.rate };
}

/** `fx.rates` as one JSON operation: the question in the query, the answer read against it. */
export function fxRateOperation(q: RateQuestion): JsonOperation<RateQuestion, string | undefined> {
  return {
    method: 'GET',
    path: () => `/bank/v1/rates?${new URLSearchParams({ base: q.base, quote: q.quote, date: q.day })}`,
    build: () => undefined,
    parse: (status, rawBody) => readRate(q, status, rawBody),
    safeToRepeat: true,
  };
}
