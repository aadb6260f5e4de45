// The metric names issues 3-6 and 14 promise (the contract the rules and dashboards are written against).
// The live PromQL test requires demo mode to serve every one of them.
export const CONTRACT_METRICS: Record<string, string> = Object.fromEntries(
  Object.entries({
    'issue 3 (BTCPay sync)': [
      'btcpay_invoices',
      'btcpay_raised_sats',
      'btcpay_contributions',
      'btcpay_raised_amount',
      'btcpay_last_invoice_created_timestamp_seconds',
      'crowdfund_sync_up',
      'crowdfund_sync_last_success_timestamp_seconds',
      'crowdfund_sync_duration_seconds',
      'crowdfund_sync_errors_total',
    ],
    'issue 4 (webhooks)': [
      'btcpay_webhook_requests_total',
      'btcpay_webhook_verification_failures_total',
      'btcpay_webhook_duplicates_total',
      'btcpay_webhook_last_verified_timestamp_seconds',
      'btcpay_webhook_missed_total',
      'btcpay_webhook_delivery_failures',
    ],
    'issue 5 (Angor)': [
      'angor_project_info',
      'angor_project_target_sats',
      'angor_project_raised_sats',
      'angor_project_investments',
      'angor_project_spent_by_founder_sats',
      'angor_project_penalties_sats',
      'angor_project_end_timestamp_seconds',
      'angor_project_stages_released_ratio',
      'angor_projects',
    ],
    'issue 6 (Crowdfund apps)': [
      'btcpay_crowdfund_info',
      'btcpay_crowdfund_target_amount',
      'btcpay_crowdfund_raised_amount',
      'btcpay_crowdfund_raised_sats',
      'btcpay_crowdfund_contributors',
      'btcpay_crowdfund_perk_contributions',
      'btcpay_crowdfund_start_timestamp_seconds',
      'btcpay_crowdfund_end_timestamp_seconds',
      'btcpay_crowdfund_window_start_timestamp_seconds',
    ],
    'issue 14 (campaign analytics)': ['btcpay_payment_method_raised_sats', 'btcpay_store_rate'],
  }).flatMap(([issue, names]) => names.map((n) => [n, issue])),
);
