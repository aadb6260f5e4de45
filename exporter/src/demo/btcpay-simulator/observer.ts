// A hook for tests: every answer the simulator sends and every webhook it posts, seen in one place,
// so a test suite can check them all against BTCPay's own API description (test/contracts/).
// Nothing is registered in production; with no observer this costs one empty-set check.

export interface SimAnswer {
  method: string;
  /** Request path with query, as received. */
  url: string;
  status: number;
  /** The JSON text sent ('' when there is no body). */
  text: string;
}

export interface SimWebhookPost {
  url: string;
  /** The exact body bytes posted, as UTF-8. */
  body: string;
  signature: string;
}

export interface SimulatorObserver {
  answer?(answer: SimAnswer): void;
  webhook?(post: SimWebhookPost): void;
}

const observers = new Set<SimulatorObserver>();

/** Sees every simulator of this process from now on; returns the function that stops it. */
export function observeSimulators(observer: SimulatorObserver): () => void {
  observers.add(observer);
  return () => observers.delete(observer);
}

export function notifyAnswer(answer: SimAnswer): void {
  for (const o of observers) o.answer?.(answer);
}

export function notifyWebhook(post: SimWebhookPost): void {
  for (const o of observers) o.webhook?.(post);
}
