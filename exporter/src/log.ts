// pino, with every place a secret could sit redacted: config objects, request headers, errors.
import { pino, type Logger } from 'pino';

export type { Logger };

/** Paths pino censors wherever they appear in a log object. */
export const REDACT_PATHS = [
  'apiKey',
  '*.apiKey',
  '*.*.apiKey',
  'webhookSecret',
  '*.webhookSecret',
  '*.*.webhookSecret',
  'secret',
  '*.secret',
  'token',
  '*.token',
  'metricsToken',
  '*.metricsToken',
  'adminToken',
  '*.adminToken',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'req.headers.authorization',
  'req.headers["btcpay-sig"]',
];

export function createLogger(level: string = 'info', destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'crowdfund-exporter' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}

/** Shows only the last four characters: enough to tell two keys apart, useless to an attacker. */
export function maskSecret(secret: string | undefined): string {
  if (secret === undefined || secret === '') return '(not set)';
  if (secret.length <= 4) return '••••';
  return `••••${secret.slice(-4)}`;
}

/** Removes every occurrence of the given secrets from a text (error messages from libraries). */
export function scrubSecrets(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let out = text;
  for (const s of secrets) {
    if (s !== undefined && s.length >= 4) out = out.split(s).join(maskSecret(s));
  }
  return out;
}
