/**
 * Probes: every channel of every carrier is asked a cheap question at its tier's interval
 * (A 30 s, B 5 min, C 1 h by default), recording reachability and latency. A healthy probe
 * closes an open breaker, which is how traffic moves back to a recovered primary.
 */
import type { Logger } from 'pino';
import type { CarrierConnector } from '../connectors/types.js';
import type { CarrierDirectory } from '../pipeline/partners.js';
import type { Channel, PartnerRuntime } from '../pipeline/policy/runtime.js';

export interface Probes {
  stop(): void;
}

export async function probeChannel(
  runtime: PartnerRuntime<CarrierConnector>,
  ch: Channel<CarrierConnector>,
): Promise<void> {
  const probe = ch.connector.probe?.bind(ch.connector);
  if (probe) await runtime.probe(ch, () => probe());
}

export function startProbes(partners: CarrierDirectory, log: Logger): Probes {
  const timers: NodeJS.Timeout[] = [];
  for (const runtime of partners.carriers()) {
    for (const ch of runtime.channels) {
      if (!ch.connector.probe) continue;
      const timer = setInterval(() => {
        probeChannel(runtime, ch).catch((err: Error) =>
          log.warn({ partner: runtime.id, channel: ch.name, err: err.message }, 'probe failed to run'),
        );
      }, runtime.policy.probeIntervalMs);
      timer.unref();
      timers.push(timer);
    }
  }
  return {
    stop: () => timers.forEach((t) => clearInterval(t)),
  };
}
