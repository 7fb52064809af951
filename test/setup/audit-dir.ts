/**
 * Every test file gets an audit directory of its own in the temp folder, removed after it, so no
 * test writes to ~/.local/state/waygate/audit (the default) or shares signed checkpoints with
 * another file. Tests that need a particular directory still pass their own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'waygate-test-audit-'));
process.env.WAYGATE_AUDIT_DIR = dir;
afterAll(() => rmSync(dir, { recursive: true, force: true }));
