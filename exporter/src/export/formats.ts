// The export's three formats as text chunks, produced lazily from the rows so a stream can pull
// them at the pace of its consumer. CSV is RFC 4180 (header row, CRLF, quotes where needed) written
// by csv-stringify, with spreadsheet formulas neutralised (its escape_formulas: a cell starting with
// =, +, -, @, a tab or a carriage return, or their full-width forms, gets a leading '); JSON is one
// array, NDJSON one object per line, with the values as stored.
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify, type Options as CsvOptions } from 'csv-stringify/sync';
import { EXPORT_COLUMNS, type ExportedInvoice, type InvoiceCursor } from './invoice-cursor.js';
import type { ExportFormat } from './parameters.js';

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8; header=present',
  json: 'application/json; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
};

/** Rows per csv-stringify call and the size a chunk grows to before it is handed on. */
const CSV_BATCH = 500;
const CHUNK_BYTES = 64 * 1024;

const CSV_OPTIONS: CsvOptions = {
  columns: [...EXPORT_COLUMNS],
  record_delimiter: '\r\n',
  // csv-stringify quotes a field with a line break only when told to once a delimiter is set.
  quote_record_delimiter: true,
  escape_formulas: true,
  cast: { boolean: (b) => (b ? 'true' : 'false') },
};

function* csvChunks(rows: Iterable<ExportedInvoice>): Generator<string> {
  let batch: ExportedInvoice[] = [];
  let header = true;
  for (const row of rows) {
    batch.push(row);
    if (batch.length === CSV_BATCH) {
      yield stringify(batch, { ...CSV_OPTIONS, header });
      header = false;
      batch = [];
    }
  }
  if (batch.length > 0 || header) yield stringify(batch, { ...CSV_OPTIONS, header });
}

function* jsonChunks(rows: Iterable<ExportedInvoice>, ndjson: boolean): Generator<string> {
  let chunk = ndjson ? '' : '[';
  let first = true;
  for (const row of rows) {
    chunk += ndjson ? `${JSON.stringify(row)}\n` : `${first ? '\n' : ',\n'}${JSON.stringify(row)}`;
    first = false;
    if (chunk.length >= CHUNK_BYTES) {
      yield chunk;
      chunk = '';
    }
  }
  if (!ndjson) chunk += first ? ']\n' : '\n]\n';
  if (chunk.length > 0) yield chunk;
}

/** Gathers small pieces into chunks of about CHUNK_BYTES (fewer writes to the socket or file). */
function* coalesce(pieces: Iterable<string>): Generator<string> {
  let chunk = '';
  for (const p of pieces) {
    chunk += p;
    if (chunk.length >= CHUNK_BYTES) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk.length > 0) yield chunk;
}

/** The rows as text in `format`, lazily. */
export function formatInvoices(format: ExportFormat, rows: Iterable<ExportedInvoice>): Generator<string> {
  return format === 'csv' ? coalesce(csvChunks(rows)) : jsonChunks(rows, format === 'ndjson');
}

/**
 * Streams the cursor's rows in `format` into `dest` with backpressure; resolves with the number of
 * rows once `dest` has everything. When `dest` fails or closes early (a client that disconnects)
 * the cursor is closed and the promise rejects.
 */
export async function writeInvoices(cursor: InvoiceCursor, format: ExportFormat, dest: Writable): Promise<number> {
  const source = Readable.from(formatInvoices(format, cursor.rows), { objectMode: false });
  try {
    await pipeline(source, dest);
  } finally {
    cursor.close();
  }
  return cursor.count;
}
