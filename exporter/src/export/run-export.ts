// `crowdfund-exporter export`: the invoice export of GET /api/invoices, offline, from the
// configured database into a file (or standard output). The file appears only when complete:
// rows go to a temporary file beside it, renamed at the end.
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { writeInvoices } from './formats.js';
import { openInvoiceCursor } from './invoice-cursor.js';
import { ExportParameterError, parseExportParameters } from './parameters.js';

export interface ExportCliOptions {
  format?: string;
  store?: string;
  status?: string[];
  from?: string;
  to?: string;
  raised?: string;
  out?: string;
}

/** A mistake on the command line, named by its option. */
export class ExportUsageError extends Error {}

/** Writes the export; resolves with the number of invoices written. */
export async function runExport(databasePath: string, o: ExportCliOptions, stdout: NodeJS.WritableStream = process.stdout): Promise<number> {
  if (o.out === undefined || o.out === '') throw new ExportUsageError('--out: required (a file, or - for standard output)');
  let request;
  try {
    request = parseExportParameters({
      format: o.format,
      store: o.store,
      status: o.status && o.status.length > 0 ? o.status : undefined,
      from: o.from,
      to: o.to,
      raised: o.raised,
    });
  } catch (err) {
    if (err instanceof ExportParameterError) throw new ExportUsageError(`--${err.message}`);
    throw err;
  }
  const cursor = openInvoiceCursor(databasePath, request.filters);
  if (o.out === '-') {
    // Standard output is never ended: the process may still print after the rows.
    const sink = new Writable({ write: (chunk, _enc, cb) => void stdout.write(chunk, (err) => cb(err ?? null)) });
    return writeInvoices(cursor, request.format, sink);
  }
  const tmp = join(dirname(o.out), `.${basename(o.out)}.${process.pid}.partial`);
  try {
    const n = await writeInvoices(cursor, request.format, createWriteStream(tmp, { flags: 'wx' }));
    await rename(tmp, o.out);
    return n;
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
