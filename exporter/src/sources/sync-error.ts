// A failure a sync job can name. `reason` becomes the crowdfund_sync_errors_total label, so it
// must come from a small fixed set, never from free text.
import type { SyncErrorReason } from '../metrics/labels.js';

export class SyncError extends Error {
  readonly reason: SyncErrorReason;
  constructor(reason: SyncErrorReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SyncError';
    this.reason = reason;
  }
}

export function reasonOf(err: unknown): SyncErrorReason {
  if (err instanceof SyncError) return err.reason;
  if (err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError')) {
    return err.name === 'AbortError' ? 'aborted' : 'timeout';
  }
  // signal.throwIfAborted() throws the abort reason, a DOMException named AbortError.
  if (typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'AbortError') return 'aborted';
  return 'internal';
}
