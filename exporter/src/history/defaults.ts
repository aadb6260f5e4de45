// The history command's defaults, apart so the CLI can show them without loading the history code.

/** `--job`: the compose scrape job's name (prometheus/prometheus.yml). */
export const DEFAULT_JOB = 'crowdfund-exporter';
/** `--instance`: the compose scrape target (prometheus/prometheus.yml). */
export const DEFAULT_INSTANCE = 'exporter:9861';
export const DEFAULT_STEP = '1h';
/** The default --until stays this far behind now, so the blocks never reach Prometheus' head block. */
export const DEFAULT_UNTIL_AGE_SECONDS = 3 * 3600;
