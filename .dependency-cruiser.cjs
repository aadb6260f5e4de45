// Import direction of exporter/src (issue 12, docs/architecture.md). `npm run lint:deps` checks it
// and `npm test` runs that first, so a wrong import fails CI. The flow:
//   sources/ (pull), webhooks/ (push) -> store/ (SQLite) -> metrics/ -> http/
// with main.ts and wiring/ composing the parts, and demo/ reachable only from them.
const SRC = '^exporter/src/';
/** The shared kernel every folder may use: leaf modules that import no folder. */
const KERNEL = `${SRC}(money|log|version|config)\\.ts$`;

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle means two modules have no order; split the shared part out.',
      from: { path: SRC },
      to: { circular: true },
    },
    {
      name: 'kernel-is-a-leaf',
      severity: 'error',
      comment: 'money, log, version and config are used by everything, so they import no folder.',
      from: { path: KERNEL },
      to: { path: `${SRC}[^/]+/` },
    },
    {
      name: 'store-imports-nothing-above-it',
      severity: 'error',
      comment: 'store/ owns the tables; it takes typed records and imports only itself and the kernel.',
      from: { path: `${SRC}store/` },
      to: { path: SRC, pathNot: [`${SRC}store/`, KERNEL] },
    },
    {
      name: 'sources-do-not-import-each-other',
      severity: 'error',
      comment: 'A source folder never imports another source folder.',
      from: { path: `${SRC}sources/([^/]+)/` },
      to: { path: `${SRC}sources/[^/]+/`, pathNot: `${SRC}sources/$1/` },
    },
    {
      name: 'sources-and-webhooks-hand-records-to-store',
      severity: 'error',
      comment: 'sources/ and webhooks/ write through store/ and know nothing of metrics, http, scheduling or wiring.',
      from: { path: `${SRC}(sources|webhooks)/` },
      to: { path: `${SRC}(metrics|http|scheduler|wiring|main\\.ts|cli\\.ts)`, pathNot: `${SRC}metrics/labels\\.ts$` },
    },
    {
      name: 'webhooks-do-not-import-sources',
      severity: 'error',
      comment: 'The receiver gets what it needs from the sources (a refresh callback) through main.ts.',
      from: { path: `${SRC}webhooks/` },
      to: { path: `${SRC}sources/` },
    },
    {
      name: 'sources-do-not-import-webhooks',
      severity: 'error',
      comment: 'Pull and push are two inputs side by side; what both need lives in store/ or metrics/labels.ts.',
      from: { path: `${SRC}sources/` },
      to: { path: `${SRC}webhooks/` },
    },
    {
      name: 'metrics-read-the-store',
      severity: 'error',
      comment: 'Collectors read store/ at scrape time; they do not call sources, receive webhooks or serve HTTP.',
      from: { path: `${SRC}metrics/` },
      to: { path: `${SRC}(http|scheduler|webhooks|wiring|main\\.ts|cli\\.ts)` },
    },
    {
      name: 'history-and-export-only-read',
      severity: 'error',
      comment: 'history/ and export/ read the store (and the metric definitions they repeat); they serve no HTTP, receive nothing, schedule nothing.',
      from: { path: `${SRC}(history|export)/` },
      to: { path: `${SRC}(http|webhooks|scheduler|wiring|main\\.ts|cli\\.ts)` },
    },
    {
      name: 'scheduler-runs-jobs-only',
      severity: 'error',
      comment: 'The scheduler knows the SyncJob contract and the sync-run records, nothing else.',
      from: { path: `${SRC}scheduler/` },
      to: { path: SRC, pathNot: [`${SRC}scheduler/`, `${SRC}store/`, `${SRC}sources/sync-(job|error)\\.ts$`, KERNEL] },
    },
    {
      name: 'production-never-imports-demo',
      severity: 'error',
      comment: 'Only main.ts, cli.ts and wiring/ choose demo or live.',
      from: { path: SRC, pathNot: `${SRC}(demo/|wiring/|main\\.ts$|cli\\.ts$)` },
      to: { path: `${SRC}demo/` },
    },
    {
      name: 'demo-stays-outside-production',
      severity: 'error',
      comment: 'demo/ plays the outside world; it may use contracts (schemas, signature, store) but not the HTTP app or metrics.',
      from: { path: `${SRC}demo/` },
      to: { path: `${SRC}(http|metrics|scheduler|wiring|main\\.ts|cli\\.ts)` },
    },
    {
      name: 'only-http-and-demo-import-express',
      severity: 'error',
      comment: 'http/ is the exporter\'s one web server (the simulator in demo/ plays BTCPay\'s).',
      from: { path: SRC, pathNot: `${SRC}(http|demo)/` },
      to: { path: 'node_modules/(express|express-rate-limit)/' },
    },
    {
      name: 'nothing-imports-main-or-cli',
      severity: 'error',
      from: { path: SRC, pathNot: `${SRC}cli\\.ts$` },
      to: { path: `${SRC}(main|cli)\\.ts$` },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
