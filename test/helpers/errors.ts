import { expect } from 'vitest';
import { WaygateError } from '../../src/domain/index.js';

/** Awaits `p`, expects it to reject with an instance of `type`, and returns that error. */
export async function rejectionOf<E extends Error>(
  p: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
): Promise<E> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(type);
  return err as E;
}

/** Expects `p` to reject with a WaygateError of this stable `code`; returns it. */
export async function expectCode(p: Promise<unknown>, code: string): Promise<WaygateError> {
  const err = await rejectionOf(p, WaygateError);
  expect(err.code).toBe(code);
  return err;
}
