// The issue-17 peer of the webhook ingest benchmark: a bare node:http server that reads the body
// and answers 200, in its own process. It is the ceiling of the HTTP stack on this machine: what
// the exporter adds on top (express's dispatch, signature, parsing, the durable commit) is the
// difference. Prints its URL on stdout once listening. (bench/bare-server.ts, the express peer of
// the earlier issues, is still there: BENCH_PEER=express.)
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const OK = Buffer.from('OK');
const server = createServer((req, res) => {
  req.on('data', () => undefined);
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': OK.length });
    res.end(OK);
  });
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
