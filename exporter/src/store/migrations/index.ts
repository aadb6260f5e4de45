// Migrations are supplied in code (not read from a folder at run time) so the compiled build and
// the tests run exactly the same list. Names sort in the order they apply.
import type { Migration } from 'kysely';
import * as m001 from './001_initial.js';
import * as m002 from './002_btcpay_payments.js';
import * as m003 from './003_webhooks.js';
import * as m004 from './004_angor.js';
import * as m005 from './005_crowdfund.js';
import * as m006 from './006_drop_redundant_webhook_index.js';
import * as m007 from './007_invoice_payments_received.js';
import * as m008 from './008_payment_method_totals.js';
import * as m009 from './009_store_rates.js';
import * as m010 from './010_webhook_seen_rowid.js';

export const migrations: Record<string, Migration> = {
  '001_initial': m001,
  '002_btcpay_payments': m002,
  '003_webhooks': m003,
  '004_angor': m004,
  '005_crowdfund': m005,
  '006_drop_redundant_webhook_index': m006,
  '007_invoice_payments_received': m007,
  '008_payment_method_totals': m008,
  '009_store_rates': m009,
  '010_webhook_seen_rowid': m010,
};
