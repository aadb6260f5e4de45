// The BTCPay simulator's public surface.
export { BtcpaySimulator, type SimulatorOptions, type ForcedFault, type ApiFaults, type RouteInstaller, type RequestInfo } from './simulator.js';
export { ManualClock, SystemClock, type SimClock } from './clock.js';
export { PERM, missingPermissionBody } from './api-keys.js';
export type { SimRouter, SimRequest, SimResponse, SimHandler } from './router.js';
export type { SimInvoice, SimStore, SimPayment, GroundTruth, CreateInvoiceInput, PayInput, SimStatus } from './model.js';
export { SIM_STATUSES } from './model.js';
export { generateHistory } from './history.js';
export { signBody, eventBody, REDELIVERY_SCHEDULE_SECONDS, type SimWebhook, type SimDelivery } from './webhooks.js';
export { newtonsoftIndented } from './newtonsoft-json.js';
export { observeSimulators, type SimulatorObserver, type SimAnswer, type SimWebhookPost } from './observer.js';
export { startDemoBtcpay, type DemoBtcpay } from './demo.js';
export { SimCrowdfund, crowdfundAppJson, type SimCrowdfundApp, type SimPerk, type ContributeInput, type NewCrowdfundApp } from './crowdfund-apps.js';
export { setupDemoCrowdfund, type DemoCrowdfund } from './crowdfund-demo.js';
