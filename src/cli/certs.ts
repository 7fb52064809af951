/**
 * `waygate certs …`: the certificate/key store [003-7.2] — request, register, import a
 * partner's certificate, show, list, renew, revoke, expiring. Private keys never leave the
 * store: `create` and `renew` print the CSR for the CA, `show` prints the certificate.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { WaygateError } from '../domain/index.js';
import {
  CertificateService,
  CREATABLE_ALGS,
  DEFAULT_EXPIRY_WARNING_DAYS,
  isCreatableAlg,
  type CertificateInfo,
  type CreatableAlg,
} from '../security/certs/index.js';
import { keyFileFor, loadMasterKey, secretBoxFromKey } from '../security/secret-box.js';
import type { Store } from '../store/db.js';
import { cliActor, dbOption, formatTable, withStore, type CommonOptions } from './dlq.js';

function alg(value: string): CreatableAlg {
  if (!isCreatableAlg(value))
    throw new InvalidArgumentError(`alg must be one of ${CREATABLE_ALGS.join(', ')}`);
  return value;
}

function days(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 3650) throw new InvalidArgumentError('days must be 0 to 3650');
  return n;
}

function readPem(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new WaygateError(
      'cert_file_unreadable',
      `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}

const service = (store: Store, o: CommonOptions) =>
  new CertificateService({ store, box: secretBoxFromKey(loadMasterKey(keyFileFor(o.db))) });

const day = (iso: string | undefined) => iso?.slice(0, 10) ?? '';

function formatList(certs: readonly CertificateInfo[]): string {
  if (certs.length === 0) return 'no certificates';
  return formatTable(
    ['ID', 'OWNER', 'NAME', 'STATUS', 'ALG', 'SUBJECT', 'NOT AFTER', 'DAYS LEFT'],
    certs.map((c) => [
      c.id,
      c.owner,
      c.name,
      c.status,
      c.keyAlg,
      c.subject ?? c.requestedSubject ?? '',
      day(c.notAfter),
      c.daysLeft === undefined || c.status !== 'active' ? '' : String(c.daysLeft),
    ]),
  );
}

function formatInfo(c: CertificateInfo): string {
  const out: string[] = [];
  const field = (k: string, v: string | number | undefined) => {
    if (v !== undefined && v !== '') out.push(`${`${k}:`.padEnd(13)}${v}`);
  };
  field('id', c.id);
  field('owner', c.owner);
  field('name', c.name);
  field('status', c.status);
  field('key', c.keyAlg);
  field('subject', c.subject ?? c.requestedSubject);
  field('issuer', c.issuer);
  field('serial', c.serial);
  field('sha-256', c.fingerprint);
  field('valid', c.notBefore && c.notAfter ? `${c.notBefore} to ${c.notAfter}` : undefined);
  field('days left', c.daysLeft);
  field('renews', c.renewsId);
  field('superseded', c.supersededBy);
  field('revoked', c.revokeReason);
  return out.join('\n');
}

export function registerCertCommands(program: Command): void {
  const certs = program
    .command('certs')
    .description('certificates and keys for signed partner messages (see docs/signatures.md)');

  certs
    .command('create')
    .description('make a key pair (kept sealed in the store) and print the CSR to send to the CA')
    .requiredOption('--name <name>', 'name of the key, e.g. hub-beta')
    .requiredOption('--subject <dn>', 'distinguished name, e.g. "CN=hub.example.com,O=Example Ltd"')
    .option('--alg <alg>', CREATABLE_ALGS.join(' | '), alg, 'rsa-2048' as CreatableAlg)
    .addOption(dbOption())
    .option('--json', 'print JSON')
    .action((o: CommonOptions & { name: string; subject: string; alg: CreatableAlg }) =>
      withStore(o, async (store) => {
        const req = await service(store, o).create(cliActor(), {
          name: o.name,
          subject: o.subject,
          alg: o.alg,
        });
        return o.json ? req : req.csrPem.trimEnd();
      }),
    );

  certs
    .command('register')
    .description(
      "register the certificate the CA issued for a pending request (it must carry the request's key)",
    )
    .requiredOption('--name <name>', 'name given at create/renew')
    .requiredOption('--file <pem>', 'certificate file (PEM)')
    .addOption(dbOption())
    .option('--json', 'print JSON')
    .action((o: CommonOptions & { name: string; file: string }) =>
      withStore(o, async (store) => {
        const cert = await service(store, o).register(cliActor(), { name: o.name, certPem: readPem(o.file) });
        return o.json ? cert : `registered ${cert.id}\n${formatInfo(cert)}`;
      }),
    );

  certs
    .command('import-partner')
    .description("register a partner's certificate (public only) to verify what the partner signs")
    .requiredOption('--partner <id>', 'partner id, e.g. carrier-beta')
    .requiredOption('--file <pem>', 'certificate file (PEM)')
    .addOption(dbOption())
    .option('--json', 'print JSON')
    .action((o: CommonOptions & { partner: string; file: string }) =>
      withStore(o, async (store) => {
        const cert = await service(store, o).importPartner(cliActor(), {
          partnerId: o.partner,
          certPem: readPem(o.file),
        });
        return o.json ? cert : `imported ${cert.id}\n${formatInfo(cert)}`;
      }),
    );

  certs
    .command('list')
    .description('every certificate and pending request, with expiry')
    .addOption(dbOption())
    .option('--json', 'print JSON')
    .action((o: CommonOptions) =>
      withStore(o, async (store) => {
        const all = await service(store, o).list();
        return o.json ? { certificates: all } : formatList(all);
      }),
    );

  certs
    .command('show')
    .description("print a certificate's PEM (never the private key)")
    .option('--name <name>', "the hub's active certificate of this name")
    .option('--partner <id>', "the partner's active certificates")
    .addOption(dbOption())
    .option('--json', 'print JSON')
    .action((o: CommonOptions & { name?: string; partner?: string }) => {
      // Checked before the store is opened, so a forgotten flag creates no database.
      if (!o.name === !o.partner)
        throw new WaygateError('cert_target_required', 'give --name NAME or --partner ID (one of them)');
      return withStore(o, async (store) => {
        const svc = service(store, o);
        const shown = o.name ? [await svc.certificatePem(o.name)] : await svc.partnerCertificates(o.partner!);
        if (o.json) return { certificates: shown };
        if (shown.length === 0) return `no active certificate for ${o.partner}`;
        return shown.map((s) => s.pem.trimEnd()).join('\n');
      });
    });

  certs
    .command('renew')
    .description(
      'make a new key pair and CSR; the current certificate stays in use until the new one is registered',
    )
    .requiredOption('--name <name>', 'name of the certificate to renew')
    .option('--alg <alg>', `${CREATABLE_ALGS.join(' | ')} (default: as now)`, alg)
    .addOption(dbOption())
    .option('--json', 'print JSON')
    .action((o: CommonOptions & { name: string; alg?: CreatableAlg }) =>
      withStore(o, async (store) => {
        const req = await service(store, o).renew(cliActor(), {
          name: o.name,
          ...(o.alg ? { alg: o.alg } : {}),
        });
        return o.json ? req : req.csrPem.trimEnd();
      }),
    );

  certs
    .command('revoke')
    .description('revoke a certificate or pending request: it never signs or verifies again')
    .option('--name <name>', "the hub's active certificate of this name (else its pending request)")
    .option('--id <id>', 'a certificate id from "certs list" (any owner)')
    .requiredOption('--reason <text>', 'why (kept in the audit log)')
    .addOption(dbOption())
    .option('--json', 'print JSON')
    .action((o: CommonOptions & { name?: string; id?: string; reason: string }) => {
      if (!o.name === !o.id)
        throw new WaygateError('cert_target_required', 'give --name NAME or --id ID (one of them)');
      return withStore(o, async (store) => {
        const cert = await service(store, o).revoke(cliActor(), {
          ...(o.id ? { id: o.id } : { name: o.name! }),
          reason: o.reason,
        });
        return o.json ? cert : `revoked ${cert.id} (${cert.owner}/${cert.name})`;
      });
    });

  certs
    .command('expiring')
    .description('active certificates that expire within the given days (expired ones included)')
    .option('--days <n>', 'days ahead', days, DEFAULT_EXPIRY_WARNING_DAYS)
    .addOption(dbOption())
    .option('--json', 'print JSON')
    .action((o: CommonOptions & { days: number }) =>
      withStore(o, async (store) => {
        const due = await service(store, o).expiring(o.days);
        if (o.json) return { withinDays: o.days, certificates: due };
        return due.length === 0 ? `no certificate expires within ${o.days} days` : formatList(due);
      }),
    );
}
