/** `waygate apikey …`: create scoped keys, rotate with an overlap, revoke, list. */
import { InvalidArgumentError, type Command } from 'commander';
import { WaygateError } from '../domain/index.js';
import { checkKeyGrant } from '../security/api-key-policy.js';
import { PERMISSIONS } from '../security/permissions.js';
import { keyFileFor, loadMasterKey, secretBoxFromKey } from '../security/secret-box.js';
import { createApiKey, findKeyGrant, listApiKeys, revokeApiKey, rotateApiKey } from '../store/api-keys.js';
import { recordAudit } from '../store/audit.js';
import { auditRefusal } from '../security/grant-audit.js';
import { assertCanGrant } from '../security/grants.js';
import { cliActor as operator, dbOption, withStore, type CommonOptions } from './dlq.js';
import { asOption, cliGrantor } from './grantor.js';

const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

/** `90d`, `12h`, `30m` or plain seconds. */
export function durationMs(text: string): number {
  const m = /^(\d{1,6})([dhms]?)$/.exec(text.trim());
  if (!m) throw new InvalidArgumentError('use a duration like 24h, 7d, 30m or seconds');
  const unit = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, '': 1000 }[
    m[2] as 'd' | 'h' | 'm' | 's' | ''
  ];
  return Number(m[1]) * unit;
}

function dateMs(text: string): number {
  const ms = Date.parse(text);
  if (Number.isNaN(ms))
    throw new InvalidArgumentError('use an ISO date such as 2027-06-30 or 2027-06-30T12:00:00Z');
  return ms;
}

function rate(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError('requests per minute, a whole number ≥ 1');
  return n;
}

interface CreateOptions extends CommonOptions {
  name: string;
  scopes: string[];
  partner?: string;
  allow?: string[];
  rate?: number;
  expires?: number;
  as?: string;
}

export function registerApiKeyCommands(program: Command): void {
  const apikey = program.command('apikey').description('API keys for machine callers');
  apikey
    .command('create')
    .description('create an API key; the secret is shown once')
    .requiredOption('--name <name>', 'who or what the key is for')
    .requiredOption('--scopes <list>', `comma-separated permissions (${PERMISSIONS.join(', ')})`, list)
    .option('--partner <id>', 'bind the key to one partner: it sees and submits only that partner’s data')
    .option('--allow <cidrs>', 'comma-separated addresses/CIDR blocks the key may be used from', list)
    .option('--rate <n>', 'requests per minute', rate)
    .option('--expires <date>', 'expiry date (ISO 8601)', dateMs)
    .addOption(asOption())
    .addOption(dbOption())
    .option('--json', 'print {"keyId","secret"}')
    .action((o: CreateOptions) => {
      const limits = {
        partnerId: o.partner ?? null,
        allowCidrs: o.allow ?? [],
        ratePerMinute: o.rate ?? null,
        expiresAt: o.expires ?? null,
      };
      // Checked before the store is opened: a mistyped scope creates no database.
      const scopes = checkKeyGrant({ scopes: o.scopes, ...limits });
      return withStore(o, async (store) => {
        const grantor = await cliGrantor(store, o.db, o.as);
        const box = secretBoxFromKey(loadMasterKey(keyFileFor(o.db)));
        const attempt = {
          actor: grantor.actor,
          action: 'apikey.created',
          target: 'apikey:new',
          detail: { scopes, partner: limits.partnerId },
        };
        const key = await auditRefusal(store, attempt, () =>
          store.write(async (trx) => {
            assertCanGrant(grantor, { scopes, ...limits });
            const created = await createApiKey(trx, box, { name: o.name, scopes, ...limits });
            await recordAudit(trx, {
              actor: grantor.actor,
              action: 'apikey.created',
              target: created.keyId,
              detail: {
                scopes,
                partner: limits.partnerId,
                allow: limits.allowCidrs,
                rate: limits.ratePerMinute,
              },
              outcome: 'ok',
            });
            return created;
          }),
        );
        return o.json
          ? key
          : `key id: ${key.keyId}\nsecret: ${key.secret}\nscopes: ${scopes.join(', ')}\n(the secret is not shown again)`;
      });
    });

  apikey
    .command('rotate')
    .description('issue a new secret; the old one stays valid for the overlap period')
    .requiredOption('--key <keyId>', 'the key to rotate')
    .option('--overlap <duration>', 'how long the old secret stays valid', durationMs, 24 * 3_600_000)
    .addOption(asOption())
    .addOption(dbOption())
    .option('--json', 'print JSON')
    .action((o: CommonOptions & { key: string; overlap: number; as?: string }) =>
      withStore(o, async (store) => {
        const grantor = await cliGrantor(store, o.db, o.as);
        const box = secretBoxFromKey(loadMasterKey(keyFileFor(o.db)));
        const attempt = { actor: grantor.actor, action: 'apikey.rotated', target: o.key, detail: {} };
        const rotated = await auditRefusal(store, attempt, () =>
          store.write(async (trx) => {
            // The new secret goes to whoever rotates: as much a grant as creating the key.
            const held = await findKeyGrant(trx, o.key);
            if (!held) throw new WaygateError('apikey_not_found', `no active API key ${o.key}`);
            assertCanGrant(grantor, held);
            const r = await rotateApiKey(trx, box, o.key, o.overlap);
            if (!r) throw new WaygateError('apikey_not_found', `no active API key ${o.key}`);
            await recordAudit(trx, {
              actor: grantor.actor,
              action: 'apikey.rotated',
              target: o.key,
              detail: { overlapMs: o.overlap },
              outcome: 'ok',
            });
            return r;
          }),
        );
        const until = new Date(rotated.previousValidUntil).toISOString();
        return o.json
          ? rotated
          : `key id: ${rotated.keyId}\nnew secret: ${rotated.secret}\nthe old secret stays valid until ${until}`;
      }),
    );

  apikey
    .command('revoke')
    .description('revoke a key at once (other hub processes stop accepting it within 5 s)')
    .requiredOption('--key <keyId>', 'the key to revoke')
    .addOption(dbOption())
    .option('--json', 'print JSON')
    .action((o: CommonOptions & { key: string }) =>
      withStore(o, async (store) => {
        await store.write(async (trx) => {
          if (!(await revokeApiKey(trx, o.key)))
            throw new WaygateError('apikey_not_found', `no active API key ${o.key}`);
          await recordAudit(trx, {
            actor: operator(),
            action: 'apikey.revoked',
            target: o.key,
            detail: {},
            outcome: 'ok',
          });
        });
        return o.json ? { keyId: o.key, revoked: true } : `revoked ${o.key}`;
      }),
    );

  apikey
    .command('list')
    .description('list keys with their scopes and limits (never secrets)')
    .addOption(dbOption())
    .option('--json', 'print JSON')
    .action((o: CommonOptions) =>
      withStore(o, async (store) => {
        const keys = await listApiKeys(store.db);
        if (o.json) return keys;
        return keys
          .map(
            (k) =>
              `${k.keyId}  ${k.name}  ${k.revokedAt ? 'REVOKED' : k.expiresAt && Date.parse(k.expiresAt) < Date.now() ? 'EXPIRED' : 'active'}  scopes=${k.scopes.join(',')}${k.partnerId ? `  partner=${k.partnerId}` : ''}${k.allowCidrs.length ? `  allow=${k.allowCidrs.join(',')}` : ''}${k.ratePerMinute ? `  rate=${k.ratePerMinute}/min` : ''}`,
          )
          .join('\n');
      }),
    );
}
