// Which invoices belong to a Crowdfund app (CROWDFUND.md c1, d3). BTCPay counts an invoice when one
// of its search terms STARTS WITH `crowdfund-app_<appId>` and it carries the internal tag
// `APP#<appId>`. Greenfield shows neither terms nor tags, only the prefix search (`textSearch`), so
// `crowdfund-app_abc` also finds the invoices of an app `abcd…` and any order id or e-mail that
// happens to start with the term. Two checks undo what can be undone:
//  - `metadata.orderUrl`: BTCPay's public page and its LNURL endpoint put the app's id in it. When it
//    names an app, that app is the one (the page always pairs the URL with its own term and tag).
//  - Otherwise, an invoice that the search of a LONGER app id of the same store also finds carries
//    that app's term, so it belongs to that app.
// What stays inexact: an invoice created through the API with the search term (and no orderUrl)
// counts here but not in BTCPay, which also wants the tag the API never sets.
import type { Invoice } from '../greenfield-schemas.js';

export const SEARCH_TERM_PREFIX = 'crowdfund-app_';

export function crowdfundSearchTerm(appId: string): string {
  return `${SEARCH_TERM_PREFIX}${appId}`;
}

// Page contributions: …/apps/{appId}/crowdfund; LNURL ones: …/{crypto}/UILNURL/pay/app/{appId}… or
// its …/lnurl/pay/app/{appId}… alias.
const ORDER_URL_PATTERNS = [/\/apps\/([^/?#]+)\/crowdfund(?:[/?#]|$)/, /\/pay\/app\/([^/?#]+)/i];

/** The app an invoice's `metadata.orderUrl` names, if it names one. */
export function orderUrlAppId(metadata: Record<string, unknown>): string | undefined {
  const url = metadata['orderUrl'];
  if (typeof url !== 'string') return undefined;
  for (const re of ORDER_URL_PATTERNS) {
    const m = re.exec(url);
    if (m) {
      try {
        return decodeURIComponent(m[1]!);
      } catch {
        return m[1];
      }
    }
  }
  return undefined;
}

/**
 * Keeps the invoices of `found` (the textSearch result for `appId`) that belong to the app.
 * `foundByOther` gives, for another app id of the store, the ids its own search found (or
 * undefined when that app was not searched).
 */
export function belongingInvoices(
  appId: string,
  found: readonly Pick<Invoice, 'id' | 'metadata'>[],
  otherAppIds: readonly string[],
  foundByOther: (otherAppId: string) => ReadonlySet<string> | undefined,
): string[] {
  const longer = otherAppIds.filter((other) => other !== appId && other.startsWith(appId));
  const out: string[] = [];
  for (const inv of found) {
    const named = orderUrlAppId(inv.metadata);
    if (named !== undefined) {
      if (named === appId) out.push(inv.id);
      continue;
    }
    if (longer.some((other) => foundByOther(other)?.has(inv.id))) continue;
    out.push(inv.id);
  }
  return out;
}
