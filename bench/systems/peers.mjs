// The peers, installed from the npm registry into bench/peers/<peer>/ (never dependencies of the
// product): `npm ci` there when node_modules is missing.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ROOT } from './waygate.mjs';

export const PEERS_DIR = join(ROOT, 'bench/peers');

/**
 * Installs bench/peers/<peer> (or `where`, a folder under bench/) from its lockfile unless already
 * installed; returns its folder.
 */
export function ensureInstalled(peer, say = (m) => process.stderr.write(`${m}\n`), where = `peers/${peer}`) {
  const dir = join(ROOT, 'bench', where);
  if (!existsSync(join(dir, 'node_modules/.package-lock.json'))) {
    say(`installing ${peer} into bench/${where} (npm ci; n8n takes about 5 minutes)…`);
    const t0 = Date.now();
    execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: dir,
      stdio: ['ignore', 'inherit', 'inherit'],
      // Scarf's postinstall would phone home; nothing here needs it.
      env: { ...process.env, SCARF_ANALYTICS: 'false' },
    });
    say(`installed ${peer} in ${Math.round((Date.now() - t0) / 1000)} s`);
  }
  return dir;
}

/** A free TCP port on loopback (for servers that cannot listen on port 0 and tell us). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export async function httpOk(url) {
  try {
    const res = await fetch(url);
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}
