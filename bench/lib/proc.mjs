// Child processes for the benchmarks, and what they cost: resident memory and CPU time of a
// process and all its descendants, read from /proc (Linux only).
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLK_TCK = 100; // USER_HZ: 100 on every Linux this runs on (`getconf CLK_TCK`)
const PAGE = 4096;

/** Every child started here, so one cleanup stops them all (and only them). */
export const children = new Set();

/**
 * Starts `cmd args` and resolves with the first match of `ready` (a RegExp with one group) in its
 * output, or with `true` once `ready` (an async predicate) says so.
 */
export function start(cmd, args, { ready, env = {}, cwd, name = cmd, timeoutMs = 120_000, log } = {}) {
  const child = spawn(cmd, args, {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
    detached: false,
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let out = '';
  const collect = (d) => {
    const text = d.toString();
    if (log) log.write(text);
    if (out.length < 200_000) out += text;
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const until = Date.now() + timeoutMs;
  const found = new Promise((resolve, reject) => {
    let done = false;
    const finish = (fn, v) => {
      if (!done) {
        done = true;
        clearInterval(timer);
        fn(v);
      }
    };
    const timer = setInterval(async () => {
      if (Date.now() > until)
        finish(reject, new Error(`${name} not ready after ${timeoutMs} ms:\n${out.slice(-2000)}`));
      if (typeof ready === 'function' && (await ready().catch(() => false))) finish(resolve, true);
    }, 100);
    if (ready instanceof RegExp) {
      const check = () => {
        const m = out.match(ready);
        if (m) finish(resolve, m[1]);
      };
      child.stdout.on('data', check);
      child.stderr.on('data', check);
    }
    child.on('exit', (code) => finish(reject, new Error(`${name} exited ${code}:\n${out.slice(-2000)}`)));
  });
  return { child, pid: child.pid, ready: found, output: () => out };
}

/** Stops a child we started and waits for it to be gone (SIGKILL after `graceMs`). */
export async function stop(child, graceMs = 5000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}

export async function stopAll() {
  await Promise.all([...children].map((c) => stop(c)));
}

/**
 * A scratch folder with `processes.log` for the children's output. `finish(code)` stops every
 * child, removes the folder after a clean run (keeps it, and says where, after a failed one) and
 * exits with `code`.
 */
export function scratch(prefix, say) {
  const tmp = mkdtempSync(join(tmpdir(), prefix));
  const log = createWriteStream(join(tmp, 'processes.log'));
  return {
    tmp,
    log,
    async finish(code) {
      await stopAll();
      log.end();
      if (code === 0) rmSync(tmp, { recursive: true, force: true });
      else say(`process output kept in ${join(tmp, 'processes.log')}`);
      process.exit(code);
    },
  };
}

function statOf(pid) {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const f = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
    return {
      ppid: Number(f[1]),
      utime: Number(f[11]),
      stime: Number(f[12]),
      cutime: Number(f[13]),
      cstime: Number(f[14]),
      rssPages: Number(f[21]),
    };
  } catch {
    return undefined;
  }
}

/** `root` and its live descendants. */
export function processTree(root) {
  const byParent = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = statOf(name);
    if (!s) continue;
    const list = byParent.get(s.ppid) ?? [];
    list.push(Number(name));
    byParent.set(s.ppid, list);
  }
  const out = [];
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop();
    out.push(pid);
    stack.push(...(byParent.get(pid) ?? []));
  }
  return out;
}

/** CPU seconds (user + system, reaped children included) of the processes rooted at `roots`. */
export function cpuSeconds(roots) {
  let ticks = 0;
  for (const root of roots)
    for (const pid of processTree(root)) {
      const s = statOf(pid);
      if (s) ticks += s.utime + s.stime + s.cutime + s.cstime;
    }
  return ticks / CLK_TCK;
}

/** Resident memory (bytes) summed over the processes rooted at `roots`. */
export function rssBytes(roots) {
  let pages = 0;
  for (const root of roots) for (const pid of processTree(root)) pages += statOf(pid)?.rssPages ?? 0;
  return pages * PAGE;
}

/** Samples the summed RSS of `roots()` every `everyMs` until stopped; returns the peak. */
export function rssSampler(roots, everyMs = 100) {
  let peak = 0;
  const sample = () => {
    peak = Math.max(peak, rssBytes(roots()));
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    peak: () => peak,
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}
