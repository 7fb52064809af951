import { readFileSync } from 'node:fs';
import type { OrderInput } from '../../src/domain/index.js';

export function loadJson<T>(relative: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/${relative}`, import.meta.url), 'utf8')) as T;
}

export function orderFixture(overrides: Partial<OrderInput> = {}): OrderInput {
  return { ...loadJson<OrderInput>('orders/us-order.json'), ...overrides };
}
