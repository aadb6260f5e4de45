// API keys and permissions as BTCPay checks them (FACTS.md f): `token <key>` or `Bearer <key>`,
// store-scoped permissions (`perm:<storeId>`), the inclusions between permissions, and the exact
// 401/403 bodies.
export const PERM = {
  unrestricted: 'unrestricted',
  viewInvoices: 'btcpay.store.canviewinvoices',
  modifyInvoices: 'btcpay.store.canmodifyinvoices',
  viewStoreSettings: 'btcpay.store.canviewstoresettings',
  modifyStoreSettings: 'btcpay.store.canmodifystoresettings',
  modifyWebhooks: 'btcpay.store.webhooks.canmodifywebhooks',
} as const;

const IMPLIES: Record<string, string[]> = {
  [PERM.modifyStoreSettings]: [PERM.modifyInvoices, PERM.viewStoreSettings, PERM.modifyWebhooks, PERM.viewInvoices],
  [PERM.modifyInvoices]: [PERM.viewInvoices],
  [PERM.viewStoreSettings]: [PERM.viewInvoices],
};

export const UNAUTHENTICATED_BODY = { code: 'unauthenticated', message: 'Authentication is required for accessing this endpoint' };
export const UNKNOWN_KEY_BODY = { code: 'unauthenticated', message: 'ApiKey authentication failed: Unknown API Key' };

export function missingPermissionBody(permission: string): Record<string, string> {
  return {
    code: 'missing-permission',
    missingPermission: permission,
    message: `Insufficient API Permissions. Please use an API key with permission "${permission}". You can create an API key in your account's settings / Api Keys.`,
  };
}

interface Grant {
  permission: string;
  storeId: string | undefined;
}

export class ApiKeys {
  private readonly keys = new Map<string, Grant[]>();

  add(key: string, permissions: string[]): void {
    this.keys.set(
      key,
      permissions.map((p) => {
        const i = p.indexOf(':');
        return i === -1 ? { permission: p, storeId: undefined } : { permission: p.slice(0, i), storeId: p.slice(i + 1) };
      }),
    );
  }

  revoke(key: string): void {
    this.keys.delete(key);
  }

  /** The key from an Authorization header, or the 401 body that BTCPay would answer. */
  authenticate(header: string | undefined): { key: string } | { error: Record<string, string> } {
    const m = /^(token|bearer)\s+(\S+)/i.exec(header ?? '');
    if (!m) return { error: UNAUTHENTICATED_BODY };
    if (!this.keys.has(m[2]!)) return { error: UNKNOWN_KEY_BODY };
    return { key: m[2]! };
  }

  /** Whether the key holds `permission` for `storeId` (any store when storeId is undefined). */
  can(key: string, permission: string, storeId?: string): boolean {
    for (const g of this.keys.get(key) ?? []) {
      if (g.permission === PERM.unrestricted) return true;
      if (g.storeId !== undefined && storeId !== undefined && g.storeId !== storeId) continue;
      if (g.permission === permission || (IMPLIES[g.permission] ?? []).includes(permission)) return true;
    }
    return false;
  }
}
