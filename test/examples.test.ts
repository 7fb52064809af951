/**
 * The copy-paste examples never rot: `examples/post-order.sh` (openssl + curl) and
 * `examples/post-order.ts` (fetch) each send a signed order to `waygate serve --sandbox` and get
 * 202; sending the same order again gets 200 with "duplicate": true. Runs the built CLI.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBin } from './helpers/cli.js';

const examples = fileURLToPath(new URL('../examples/', import.meta.url));
const bin = fileURLToPath(new URL('../bin/waygate.js', import.meta.url));

let dir: string;
let hub: ChildProcess;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'waygate-examples-'));
  const base = { WAYGATE_AUDIT_DIR: join(dir, 'audit'), WAYGATE_LOG_LEVEL: 'warn' };
  const db = `sqlite:${join(dir, 'waygate.db')}`;
  const key = await runBin(
    ['apikey', 'create', '--name', 'examples', '--scopes', 'orders:write', '--db', db, '--json'],
    {
      cwd: dir,
      env: base,
      killAfterMs: 60_000,
    },
  );
  expect(key.code, key.stderr).toBe(0);
  const { keyId, secret } = JSON.parse(key.stdout) as { keyId: string; secret: string };
  hub = spawn(process.execPath, [bin, 'serve', '--sandbox', '--port', '0', '--db', db], {
    cwd: dir,
    env: { ...process.env, ...base },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  hub.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    hub.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    hub.on('exit', (code) => reject(new Error(`waygate serve exited (${code}): ${stderr}`)));
  });
  env = { ...process.env, WAYGATE_URL: url, WAYGATE_KEY_ID: keyId, WAYGATE_KEY_SECRET: secret };
});

afterAll(async () => {
  if (hub && hub.exitCode === null) {
    const exited = new Promise((r) => hub.once('exit', r));
    hub.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

/** An example order with another externalId, so each script creates its own order. */
function orderFile(externalId: string): string {
  const order = JSON.parse(readFileSync(join(examples, 'order.json'), 'utf8')) as Record<string, unknown>;
  const file = join(dir, `${externalId}.json`);
  writeFileSync(file, JSON.stringify({ ...order, externalId }));
  return file;
}

describe('examples/', () => {
  it('post-order.sh sends the example order with openssl + curl and gets 202, then 200 duplicate', () => {
    const run = () =>
      spawnSync('sh', [join(examples, 'post-order.sh')], { env, encoding: 'utf8', timeout: 60_000 });
    const first = run();
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^HTTP\/1\.1 202/);
    expect(first.stdout).toMatch(/x-request-id: req_/i);
    const id = /"id":"(ord_[0-9a-z]+)"/.exec(first.stdout)?.[1];
    expect(id).toBeDefined();
    const again = run();
    expect(again.stdout).toMatch(/^HTTP\/1\.1 200/);
    // The status is the order's status now (the sandbox may have shipped it meanwhile).
    expect(again.stdout).toMatch(new RegExp(`\\{"id":"${id}","status":"[a-z_]+","duplicate":true\\}`));
  });

  it('post-order.ts sends an order with fetch and gets 202', () => {
    // Run as a user would run the file: TypeScript with its types erased, as plain ESM.
    const source = readFileSync(join(examples, 'post-order.ts'), 'utf8');
    const js = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    const script = join(dir, 'post-order.mjs');
    writeFileSync(script, js);
    const r = spawnSync(process.execPath, [script, orderFile('EXAMPLE-TS-1')], {
      env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^202 \{"id":"ord_[0-9a-z]+","status":"accepted"\}/);
  });

  it('/docs carries the example order and the signing recipe', async () => {
    const doc = (await (await fetch(`${env.WAYGATE_URL}/openapi.json`)).json()) as {
      info: { description: string };
      paths: Record<string, { post?: { requestBody: { content: Record<string, { example?: unknown }> } } }>;
    };
    const media = doc.paths['/v1/orders']?.post?.requestBody.content['application/json'];
    expect(media?.example).toEqual(JSON.parse(readFileSync(join(examples, 'order.json'), 'utf8')));
    expect(doc.info.description).toContain('openssl dgst -sha256 -hmac');
    expect(doc.info.description).toContain('examples/post-order.sh');
  });

  it('the README shows the example order and both scripts', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain('examples/post-order.sh');
    expect(readme).toContain('examples/post-order.ts');
    expect(readme).toContain(readFileSync(join(examples, 'order.json'), 'utf8').trim());
  });
});
