/**
 * Who grants when the CLI creates keys and accounts. The CLI runs on the hub's host with the
 * database and the master key: whoever runs it can already change anything, so by default the
 * local operator is the grantor and counts as an administrator. `--as USERNAME` narrows a
 * command to that account's permissions (a delegated operator on a shared host, a runbook): the
 * same rule as the API then applies, nobody grants above what they hold. It names an identity,
 * it does not authenticate one: the OS user stays in the audit actor (`cli:alice as usr_…`).
 */
import { Option } from 'commander';
import { AccountService } from '../security/accounts.js';
import { operatorGrantor, type Grantor } from '../security/grants.js';
import { keyFileFor, loadMasterKey, secretBoxFromKey } from '../security/secret-box.js';
import type { Store } from '../store/db.js';
import { cliActor } from './dlq.js';

export const asOption = () =>
  new Option(
    '--as <username>',
    'grant only what this account holds (default: the local operator, an administrator)',
  );

export async function cliGrantor(store: Store, db: string, as: string | undefined): Promise<Grantor> {
  if (as === undefined) return operatorGrantor(cliActor());
  const accounts = new AccountService({ store, box: secretBoxFromKey(loadMasterKey(keyFileFor(db))) });
  return accounts.grantorFor(as, (userId) => `${cliActor()} as ${userId}`);
}
