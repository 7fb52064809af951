import { randomInt } from 'node:crypto';

/**
 * Four random characters that set one sandbox process's numbers apart from the last one's. A real
 * partner never issues the same event, order or return number twice; a sandbox restarted against a
 * hub that kept its store (the demo run twice on one database) must not either.
 */
export function bootTag(): string {
  return randomInt(0, 36 ** 4)
    .toString(36)
    .toUpperCase()
    .padStart(4, '0');
}
