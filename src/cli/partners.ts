/**
 * `waygate partners parked|release`: the partners parked after a 429 (issue 16, defect 3), and
 * an operator's release of one. The release is written to the store — every running hub node
 * clears the park within a couple of seconds — and the jobs it deferred are due at once.
 * Releasing needs `partners:manage` (the local operator holds it; `--as USER` checks that
 * account's role); every release is audited.
 */
import type { Command } from 'commander';
import { WaygateError } from '../domain/index.js';
import { kindsOfLane } from '../pipeline/jobs/index.js';
import { loadParks, releasePark } from '../pipeline/policy/parks.js';
import { asOption, cliGrantor } from './grantor.js';
import { dbOption, formatTable, withStore } from './dlq.js';

const iso = (ms: number) => (ms > 0 && ms < 8.64e15 ? new Date(ms).toISOString() : '-');

export function registerPartnerCommands(program: Command): void {
  const partners = program.command('partners').description('partners parked after rate limiting');

  partners
    .command('parked')
    .description('list the parks stored for partners (suspensions and 429 gates), with their ends')
    .addOption(dbOption())
    .option('--json', 'print JSON')
    .action(async (o: { db: string; json?: boolean }) =>
      withStore(o, async (store) => {
        const now = Date.now();
        const parks = (await loadParks(store.db)).map((p) => {
          const until = Math.max(p.state.suspendedUntil, ...Object.values(p.state.channels));
          return { partner: p.partnerId, until, active: until > now, reason: p.reason, since: p.atMs };
        });
        if (o.json) return { data: parks };
        if (parks.length === 0) return 'no partner is parked';
        return formatTable(
          ['partner', 'until', 'active', 'reason'],
          parks.map((p) => [p.partner, iso(p.until), p.active ? 'yes' : 'no', p.reason]),
        );
      }),
    );

  partners
    .command('release')
    .description('release a parked partner: its suspension and 429 gates end, its deferred jobs run now')
    .argument('<partner>', 'partner id')
    .requiredOption('--reason <text>', 'why (kept in the audit log)')
    .addOption(dbOption())
    .addOption(asOption())
    .option('--json', 'print JSON')
    .action(async (partner: string, o: { db: string; reason: string; as?: string; json?: boolean }) =>
      withStore(o, async (store) => {
        if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(partner)) {
          throw new WaygateError('partner_not_found', `no partner can be named ${JSON.stringify(partner)}`);
        }
        const grantor = await cliGrantor(store, o.db, o.as);
        if (!grantor.permissions.has('partners:manage')) {
          throw new WaygateError('missing_permission', undefined, { permission: 'partners:manage' });
        }
        const result = await releasePark(store, partner, {
          actor: grantor.actor,
          reason: o.reason,
          kinds: kindsOfLane('outbound').map((k) => k.name),
          interface: 'cli',
        });
        if (o.json) return result;
        return `${partner} released (${result.wasParked ? 'was parked' : 'no park was stored'}; ${result.jobsReleased} deferred jobs due now)`;
      }),
    );
}
