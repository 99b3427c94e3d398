/**
 * The adapter kit: what every `src/<node>.ts` does the same way in Node-RED
 * (refusing a bad configuration, a throttled status with countdowns, state
 * kept across redeploys, figures for the monitor). Logic that does not need
 * Node-RED belongs in `src/core/`, not here.
 */
export { refuse, refuseConfig, type Refusal } from './refuse';
export { offerMetrics } from './metrics';
export { LiveStatus } from './live-status';
export { KeptStates, KeptState, keptKey } from './kept-state';
export { texts, type Texts } from './texts';
export { whenStarted } from './when-started';
