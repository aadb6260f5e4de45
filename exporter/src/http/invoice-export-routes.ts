// GET /api/invoices: the stored invoices as CSV, JSON or NDJSON (export/), streamed from a
// query-only connection of their own. ADMIN_TOKEN guards it when set (invoices carry order ids);
// otherwise it is as open as the status page.
import type { Express, Request } from 'express';
import { CONTENT_TYPES, writeInvoices } from '../export/formats.js';
import { ExportSourceError, isoSeconds, openInvoiceCursor } from '../export/invoice-cursor.js';
import { ExportParameterError, parseExportParameters, type ExportFormat } from '../export/parameters.js';
import type { Logger } from '../log.js';
import { requireBearer } from './auth.js';

export const INVOICES_PATH = '/api/invoices';

export interface InvoiceExportRoutesOptions {
  /** The database file (each export opens its own query-only connection to it). */
  databasePath: string;
  /** ADMIN_TOKEN: when set, the export needs it as a bearer token. */
  adminToken: string | undefined;
  log: Logger;
  now?: () => number;
}

/** The format a client asked for without `format=`: by Accept, JSON unless it prefers CSV or NDJSON. */
function acceptedFormat(req: Request): ExportFormat {
  const best = req.accepts(['application/json', 'text/csv', 'application/x-ndjson']);
  return best === 'text/csv' ? 'csv' : best === 'application/x-ndjson' ? 'ndjson' : 'json';
}

export function invoiceExportRoutes(o: InvoiceExportRoutesOptions): (app: Express) => void {
  const log = o.log.child({ component: 'export' });
  const now = o.now ?? (() => Math.floor(Date.now() / 1000));
  return (app) => {
    app.get(INVOICES_PATH, requireBearer(o.adminToken, INVOICES_PATH), async (req, res) => {
      let request;
      try {
        request = parseExportParameters(req.query as Record<string, unknown>, acceptedFormat(req));
      } catch (err) {
        if (!(err instanceof ExportParameterError)) throw err;
        res.status(400).json({ error: 'bad_request', parameter: err.parameter, message: err.message });
        return;
      }
      let cursor;
      try {
        cursor = openInvoiceCursor(o.databasePath, request.filters);
      } catch (err) {
        log.error({ err }, 'invoice export cannot read the database');
        res.status(err instanceof ExportSourceError ? 503 : 500).json({ error: 'unavailable', message: 'the invoice database cannot be read' });
        return;
      }
      const started = performance.now();
      res.status(200);
      res.set('Content-Type', CONTENT_TYPES[request.format]);
      res.set('Cache-Control', 'no-store');
      res.set('X-Content-Type-Options', 'nosniff');
      if (request.format === 'csv') {
        const stamp = isoSeconds(now()).replace(/[-:]/g, '');
        res.set('Content-Disposition', `attachment; filename="invoices-${stamp}.csv"`);
      }
      try {
        const rows = await writeInvoices(cursor, request.format, res);
        log.info({ format: request.format, filters: request.filters, rows, ms: Math.round(performance.now() - started) }, 'invoices exported');
      } catch (err) {
        // Headers are gone: a truncated body must not look complete, so the connection is cut
        // (the chunked response never gets its last chunk). A client that left is no error.
        if (!req.destroyed && !res.destroyed) log.error({ err }, 'invoice export failed');
        res.destroy();
      }
    });
  };
}
