// Scrape cost against history size: two exporters, one on 1,000 invoices and one on 1,000,000,
// scraped alternately in the same run so machine noise hits both alike.
// Target: median(1M) within 1.5× of median(1k), and median under 10 ms.
import { pino } from 'pino';
import { loadConfig } from '../exporter/src/config.js';
import { startExporter } from '../exporter/src/main.js';
import { machine, ms, seededDatabase, summary } from './lib.js';

const SMALL = Number(process.env.BENCH_SMALL ?? 1_000);
const LARGE = Number(process.env.BENCH_LARGE ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 500);

async function start(path: string) {
  const config = loadConfig(
    {
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_PATH: path,
      DEMO: 'false',
      ANGOR_ENABLE: 'false',
      BTCPAY_URL: 'http://127.0.0.1:9',
      BTCPAY_API_KEY: 'bench',
      BTCPAY_STORE_IDS: 'BenchStoreA,BenchStoreB',
    },
    { readDotenv: false },
  );
  return startExporter(config, { log: pino({ level: 'silent' }), schedule: false });
}

async function scrape(url: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${url}/metrics`);
  const body = await res.text();
  const dt = performance.now() - t0;
  if (res.status !== 200 || !body.includes('crowdfund_build_info')) throw new Error(`bad scrape: ${res.status}`);
  return dt;
}

const [smallDb, largeDb] = [await seededDatabase(SMALL), await seededDatabase(LARGE)];
const small = await start(smallDb);
const large = await start(largeDb);
try {
  const bodySmall = await (await fetch(`${small.url}/metrics`)).text();
  const bodyLarge = await (await fetch(`${large.url}/metrics`)).text();
  for (let i = 0; i < 50; i++) {
    await scrape(small.url);
    await scrape(large.url);
  }
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    // Alternate the order so neither side always runs second.
    if (i % 2 === 0) {
      a.push(await scrape(small.url));
      b.push(await scrape(large.url));
    } else {
      b.push(await scrape(large.url));
      a.push(await scrape(small.url));
    }
  }
  const s = summary(a);
  const l = summary(b);
  const ratio = l.median / s.median;
  console.log(`machine: ${machine()}`);
  console.log(`scrape body: ${bodySmall.length} bytes (${SMALL} invoices), ${bodyLarge.length} bytes (${LARGE} invoices)`);
  console.log(`scrape ${SMALL.toLocaleString('en')} invoices: median ${ms(s.median)} p90 ${ms(s.p90)} p99 ${ms(s.p99)} (n=${s.n})`);
  console.log(`scrape ${LARGE.toLocaleString('en')} invoices: median ${ms(l.median)} p90 ${ms(l.p90)} p99 ${ms(l.p99)} (n=${l.n})`);
  console.log(`ratio large/small median: ${ratio.toFixed(2)} (target ≤ 1.5)`);
  console.log(`median under 10 ms: ${l.median < 10 && s.median < 10 ? 'yes' : 'NO'}`);
  const pass = ratio <= 1.5 && l.median < 10;
  console.log(`RESULT scrape: ${pass ? 'PASS' : 'MISS'}`);
} finally {
  await small.close();
  await large.close();
}
