export type { SimulatorConfig } from './config.js';
export { startSimulator } from './server.js';
export { endpointOf, type SimulatorStats } from './stats.js';
export type {
  Fault,
  Simulator,
  SimulatorOidcClient,
  SimulatorOidcSettings,
  SimulatorOptions,
  SimulatorSessionView,
  TestUser,
} from './types.js';
export { TEST_USERS } from './users.js';
