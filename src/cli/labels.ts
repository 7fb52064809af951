/**
 * `waygate labels get WAYBILL`: the carrier's label stored with a waybill, written to a file for
 * printing. A label prints the consignee's name, address and phone, so the file is written with
 * mode 0600 (like every personal-data export) and never to the terminal. The label is read from
 * the store, where it is sealed; a label the carrier did not give with the waybill is fetched by
 * the hub on the first `GET /v1/shipments/{waybillNo}/label`.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { WaygateError } from '../domain/index.js';
import { writePrivateFile } from '../security/private-file.js';
import { readLabel } from '../store/platform-flow.js';
import { findShipmentByWaybill } from '../store/shipments.js';
import { dbOption, withStore, type CommonOptions } from './dlq.js';

type GetOptions = CommonOptions & { out?: string; carrier?: string };

/** The waybill as a file name: letters, digits, dash and underscore only. */
const safeName = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '_');

/** Where the label goes, checked before the store is opened: a wrong path opens nothing. */
function checkOut(out: string): string {
  const path = resolve(out);
  const dir = dirname(path);
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new InvalidArgumentError(`--out ${out}: folder ${dir} does not exist; create it or choose another`);
  if (existsSync(path) && statSync(path).isDirectory())
    throw new InvalidArgumentError(`--out ${out} is a folder; give a file name, e.g. ${out}/label.pdf`);
  return path;
}

/** A SQLite store that is not there is named, not created empty (and then searched in vain). */
function checkDb(db: string): void {
  if (!db.startsWith('sqlite:') || db.startsWith('sqlite::memory:')) return;
  const file = db.slice('sqlite:'.length).split('?')[0] ?? '';
  if (!existsSync(file))
    throw new InvalidArgumentError(`--db ${db}: no store there; give the hub's store with --db`);
}

function writeLabel(path: string, data: Buffer): void {
  try {
    writePrivateFile(path, data);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new InvalidArgumentError(`cannot write ${path} (${code}); choose another --out`);
  }
}

export function registerLabelCommands(program: Command): void {
  const labels = program.command('labels').description("carriers' shipping labels stored with the waybills");
  labels
    .command('get')
    .description('write the label of a waybill to a file (mode 0600: it prints the consignee)')
    .argument('<waybill>', 'the waybill number')
    .option('--out <file>', 'file to write (default: WAYBILL.pdf|png|zpl in the current folder)')
    .option('--carrier <id>', 'the carrier, when two carriers issued the same waybill number')
    .addOption(dbOption())
    .option('--json', 'print the result as one JSON object')
    .action(async (waybill: string, o: GetOptions) => {
      const out = o.out !== undefined ? checkOut(o.out) : undefined;
      checkDb(o.db);
      await withStore(o, async (store) => {
        const shipment = await findShipmentByWaybill(store.db, waybill, o.carrier);
        if (!shipment)
          throw new WaygateError(
            'shipment_not_found',
            `no shipment with waybill ${waybill}${o.carrier ? ` from ${o.carrier}` : ''} in this store`,
          );
        const label = await readLabel(store.db, store.keys.cipher, shipment.id);
        if (!label)
          throw new WaygateError(
            'label_not_found',
            `no label is stored for ${waybill} (${shipment.carrier}): the carrier issues none, or it was ` +
              `not had yet — GET /v1/shipments/${waybill}/label on the hub fetches it from the carrier`,
          );
        const path = out ?? resolve(`${safeName(waybill)}.${label.format.toLowerCase()}`);
        writeLabel(path, label.data);
        const result = {
          waybillNo: shipment.waybillNo,
          carrier: shipment.carrier,
          format: label.format,
          bytes: label.data.length,
          file: path,
        };
        return o.json
          ? result
          : `wrote the ${label.format} label of ${waybill} (${shipment.carrier}, ${label.data.length} bytes) to ${path}`;
      });
    });
}
