// The peer of the webhook ingest benchmark: a bare express route answering 200, in its own
// process, with the same body reading as the real receiver (express.raw, no inflate), so the ratio
// compares the receiver's own work and nothing else. Prints its URL on stdout once listening.
import type { AddressInfo } from 'node:net';
import express from 'express';

const app = express();
app.disable('x-powered-by');
app.set('etag', false);
app.post('/bare', express.raw({ type: () => true, limit: 1024 * 1024, inflate: false }), (_req, res) => {
  res.sendStatus(200);
});
const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
