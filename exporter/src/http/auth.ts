// Bearer-token guard. Compares digests in constant time so the token's length and prefix leak nothing.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return false;
  return timingSafeEqual(digest(m[1]!), digest(token));
}

/** Requires `Authorization: Bearer <token>` when a token is configured; open otherwise. */
export function requireBearer(token: string | undefined, realm: string): RequestHandler {
  return (req, res, next) => {
    if (token === undefined || tokenMatches(req.get('authorization'), token)) {
      next();
      return;
    }
    res.set('WWW-Authenticate', `Bearer realm="${realm}"`);
    res.status(401).json({ error: 'unauthorized', message: `a valid "Authorization: Bearer <token>" header is required for ${realm}` });
  };
}
