/**
 * Tabular files (CSV and Excel .xlsx) for partners that exchange data as files: reading a sheet
 * into text cells with spreadsheet row numbers, and writing typed columns.
 *
 * Writes go to a temporary file beside the target and are renamed into place, so a failed export
 * never leaves half a file where a partner might pick it up; the file is readable by its owner
 * only (0600), since exports and manifests carry consignees' personal data. CSV is written UTF-8 with a BOM (so
 * Excel opens accents correctly), and text cells that a spreadsheet would run as a formula are
 * prefixed with an apostrophe. XLSX gets a bold, frozen header row; numbers are number cells and
 * amounts are text cells, so decimals stay exact.
 */
import type { WriteStream } from 'node:fs';
import { once } from 'node:events';
import { basename, extname } from 'node:path';
import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
// Types only: exceljs takes seconds to load, so only a spreadsheet read or write loads it.
import type ExcelJS from 'exceljs';
import { WaygateError } from '../../domain/index.js';
import { openPrivateFile, type PrivateFileWriter } from '../../security/private-file.js';

export type FileFormat = 'csv' | 'xlsx';

export interface TableFile {
  path: string;
  format: FileFormat;
}

/** The format named by a file's extension (`.csv` or `.xlsx`). */
export function formatFromPath(path: string): FileFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.xlsx') return 'xlsx';
  throw new WaygateError('unsupported_file_format', `${basename(path)}: use a .csv or .xlsx file`);
}

export interface TableRow {
  /** 1-based row number as a spreadsheet shows it (the header is row 1). */
  row: number;
  /** Cell text by header name; empty cells are absent. */
  values: Record<string, string>;
}

export interface Table {
  header: string[];
  rows: TableRow[];
}

/** Reads the first sheet of an xlsx file, or a CSV file, as text cells keyed by header name. */
export async function readTable(file: TableFile): Promise<Table> {
  const grid = file.format === 'csv' ? await readCsvGrid(file.path) : await readXlsxGrid(file.path);
  const headerRow = grid.find((r) => r.cells.some((c) => c !== ''));
  if (!headerRow) return { header: [], rows: [] };
  const header = headerRow.cells.map((c) => c.trim());
  const rows: TableRow[] = [];
  for (const r of grid) {
    if (r.row <= headerRow.row || r.cells.every((c) => c.trim() === '')) continue;
    const values: Record<string, string> = {};
    header.forEach((name, i) => {
      const v = (r.cells[i] ?? '').trim();
      if (name !== '' && v !== '') values[name] = v;
    });
    rows.push({ row: r.row, values });
  }
  return { header, rows };
}

interface GridRow {
  row: number;
  cells: string[];
}

async function readCsvGrid(path: string): Promise<GridRow[]> {
  const text = await readFile(path, 'utf8');
  // Spreadsheets in many European locales save CSV with semicolons; the header line tells.
  const firstLine = text.slice(0, text.search(/\r?\n|$/));
  const delimiter = firstLine.includes(';') && !firstLine.includes(',') ? ';' : ',';
  const records = parse(text, {
    bom: true,
    delimiter,
    relax_column_count: true,
    skip_empty_lines: false,
  }) as string[][];
  return records.map((cells, i) => ({ row: i + 1, cells }));
}

async function readXlsxGrid(path: string): Promise<GridRow[]> {
  const { default: Excel } = await import('exceljs');
  const workbook = new Excel.Workbook();
  try {
    await workbook.xlsx.readFile(path);
  } catch (err) {
    throw new WaygateError(
      'unreadable_file',
      `${basename(path)} is not a readable .xlsx file: ${(err as Error).message}`,
    );
  }
  const sheet = workbook.worksheets[0];
  if (!sheet) return [];
  const grid: GridRow[] = [];
  sheet.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    const cells: string[] = [];
    for (let col = 1; col <= row.cellCount; col++) cells.push(cellText(row.getCell(col).value));
    grid.push({ row: rowNumber, cells });
  });
  return grid;
}

/** A cell's value as text: numbers without float noise, dates as ISO 8601, formulas by result. */
function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number')
    return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(15)));
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Date) return value.toISOString();
  if ('richText' in value) return value.richText.map((t) => t.text).join('');
  if ('formula' in value || 'sharedFormula' in value)
    return cellText((value as { result?: ExcelJS.CellValue }).result);
  if ('text' in value && typeof value.text === 'string') return value.text;
  if ('error' in value) return '';
  return '';
}

/** Same rule as partner ids in the config file. */
export const PARTNER_ID = /^[a-z0-9][a-z0-9-]{1,62}$/;

/** Reads a table and refuses it, naming the file and columns, when a required column is absent. */
export async function readTableRequiring(file: TableFile, required: readonly string[]): Promise<Table> {
  const table = await readTable(file);
  const missing = required.filter((c) => !table.header.includes(c));
  if (missing.length > 0) {
    throw new WaygateError(
      'missing_columns',
      `${basename(file.path)} lacks the column(s) ${missing.join(', ')}`,
      {
        missing,
      },
    );
  }
  return table;
}

export type ColumnType = 'text' | 'number' | 'amount';

export interface Column<K extends string = string> {
  key: K;
  type: ColumnType;
  /** Column width in characters (xlsx). */
  width?: number;
}

export type Cell = string | number | null | undefined;

/** A table being written: rows are added one at a time, `close` puts the file in place. */
export interface TableWriter<K extends string = string> {
  add(row: Partial<Record<K, Cell>>): Promise<void>;
  close(): Promise<number>;
  abort(): Promise<void>;
}

/** Writes a table of typed columns; the header row holds the column keys. */
export async function openTableWriter<K extends string>(
  outPath: string,
  format: FileFormat,
  columns: readonly Column<K>[],
  sheetName = 'data',
): Promise<TableWriter<K>> {
  const file = await openPrivateFile(outPath);
  return format === 'csv' ? csvWriter(file, columns) : xlsxWriter(file, columns, sheetName);
}

/** Text a spreadsheet would run as a formula gets a leading apostrophe (CSV injection). */
export function neutraliseFormula(text: string): string {
  if (/^[=@\t\r]/.test(text)) return `'${text}`;
  if (/^[+-]/.test(text) && !/^[+-]?[\d ().*-]+$/.test(text)) return `'${text}`;
  return text;
}

async function write(stream: WriteStream, chunk: string): Promise<void> {
  if (!stream.write(chunk)) await once(stream, 'drain');
}

async function csvWriter<K extends string>(
  file: PrivateFileWriter,
  columns: readonly Column<K>[],
): Promise<TableWriter<K>> {
  const { stream } = file;
  await write(stream, `\ufeff${stringify([columns.map((c) => c.key)])}`);
  let count = 0;
  return {
    async add(row) {
      const cells = columns.map((c) => {
        const v = row[c.key];
        if (v === null || v === undefined) return '';
        return c.type === 'text' ? neutraliseFormula(String(v)) : String(v);
      });
      await write(stream, stringify([cells]));
      count++;
    },
    async close() {
      stream.end();
      await once(stream, 'finish');
      file.commit();
      return count;
    },
    async abort() {
      file.abort();
    },
  };
}

async function xlsxWriter<K extends string>(
  file: PrivateFileWriter,
  columns: readonly Column<K>[],
  sheetName: string,
): Promise<TableWriter<K>> {
  const { default: Excel } = await import('exceljs');
  const workbook = new Excel.stream.xlsx.WorkbookWriter({ stream: file.stream, useStyles: true });
  const sheet = workbook.addWorksheet(sheetName, { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = columns.map((c) => ({
    key: c.key,
    width: c.width ?? Math.max(10, c.key.length + 2),
    style: c.type === 'number' ? { numFmt: '0' } : { numFmt: '@' },
  }));
  const header = sheet.addRow(columns.map((c) => c.key));
  header.font = { bold: true };
  header.commit();
  let count = 0;
  return {
    async add(row) {
      const cells = columns.map((c) => {
        const v = row[c.key];
        if (v === null || v === undefined || v === '') return null;
        if (c.type === 'number') return typeof v === 'number' ? v : Number(v);
        return String(v);
      });
      sheet.addRow(cells).commit();
      count++;
    },
    async close() {
      sheet.commit();
      await workbook.commit();
      file.commit();
      return count;
    },
    async abort() {
      try {
        sheet.commit();
        await workbook.commit();
      } catch {
        // the temporary file is removed either way
      }
      file.abort();
    },
  };
}
