/**
 * Hot reload of the partner policy file. Editors save by rename, so the folder is watched (and
 * polled once a second as a fallback for file systems without events); a change is parsed and
 * validated in full before anything is swapped, so a bad edit never half-applies: it is
 * rejected with the file, line and field, and the last good policy stays in force.
 */
import { createHash } from 'node:crypto';
import { readFileSync, unwatchFile, watch, watchFile, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { ConfigError, parseHubConfig, type HubConfig } from './config.js';

export interface ConfigEvent {
  at: string;
  file: string;
  outcome: 'applied' | 'rejected';
  message: string;
}

export interface ConfigWatcher {
  events(): readonly ConfigEvent[];
  close(): void;
}

export function watchConfig(
  file: string,
  env: NodeJS.ProcessEnv,
  onApply: (config: HubConfig) => void,
  onEvent: (event: ConfigEvent) => void,
): ConfigWatcher {
  return watchParsed(
    file,
    (text) => parseHubConfig(text, file, env),
    (err) => err instanceof ConfigError,
    onApply,
    onEvent,
  );
}

/**
 * Watches any YAML file the hub applies live (partner policy, operations): `parse` validates it
 * in full; errors it throws that `known` recognises are already `file:line: field message`.
 */
export function watchParsed<T>(
  file: string,
  parse: (text: string) => T,
  known: (err: unknown) => boolean,
  onApply: (value: T) => void,
  onEvent: (event: ConfigEvent) => void,
): ConfigWatcher {
  const events: ConfigEvent[] = [];
  const hashOf = (text: string) => createHash('sha256').update(text).digest('hex');
  let lastHash = '';
  try {
    lastHash = hashOf(readFileSync(file, 'utf8'));
  } catch {
    // Reported on the first change.
  }
  let timer: NodeJS.Timeout | undefined;
  const record = (outcome: ConfigEvent['outcome'], message: string) => {
    const event = { at: new Date().toISOString(), file, outcome, message };
    events.push(event);
    if (events.length > 200) events.shift();
    onEvent(event);
  };
  const check = () => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return; // mid-rename; the next event reads the new file
    }
    const hash = hashOf(text);
    if (hash === lastHash) return;
    lastHash = hash;
    try {
      const value = parse(text);
      onApply(value);
      record('applied', `${basename(file)} ${hash.slice(0, 12)} applied`);
    } catch (err) {
      record('rejected', known(err) ? (err as Error).message : `${file}: ${(err as Error).message}`);
    }
  };
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(check, 150);
    timer.unref();
  };
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(file), (_event, name) => {
      if (name === null || name === basename(file)) schedule();
    });
    watcher.unref();
  } catch {
    watcher = undefined;
  }
  watchFile(file, { interval: 1000, persistent: false }, schedule);
  return {
    events: () => events,
    close() {
      clearTimeout(timer);
      watcher?.close();
      unwatchFile(file);
    },
  };
}
