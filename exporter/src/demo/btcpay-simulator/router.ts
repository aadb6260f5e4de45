// A tiny method + path-pattern router for the simulator (node:http only; express belongs to http/).
// Other modules add routes with `router.add(...)` from their own file.
import type { IncomingHttpHeaders } from 'node:http';

export interface SimRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body (undefined when there is none). */
  body: unknown;
  /** The authenticated API key (routes added with `auth: false` get undefined). */
  apiKey: string | undefined;
}

export interface SimResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type SimHandler = (req: SimRequest) => SimResponse | Promise<SimResponse>;

interface Route {
  method: string;
  parts: string[];
  handler: SimHandler;
  auth: boolean;
}

export class SimRouter {
  private readonly routes: Route[] = [];

  /** `pattern` uses `:name` segments, e.g. `/api/v1/stores/:storeId/invoices`. */
  add(method: string, pattern: string, handler: SimHandler, opts: { auth?: boolean } = {}): void {
    this.routes.push({ method: method.toUpperCase(), parts: pattern.split('/').filter(Boolean), handler, auth: opts.auth ?? true });
  }

  match(method: string, path: string): { handler: SimHandler; params: Record<string, string>; auth: boolean } | undefined {
    const segs = path.split('/').filter(Boolean);
    for (const r of this.routes) {
      if (r.method !== method.toUpperCase() || r.parts.length !== segs.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < segs.length; i++) {
        const p = r.parts[i]!;
        if (p.startsWith(':')) params[p.slice(1)] = decodeURIComponent(segs[i]!);
        else if (p !== segs[i]) {
          ok = false;
          break;
        }
      }
      if (ok) return { handler: r.handler, params, auth: r.auth };
    }
    return undefined;
  }
}
