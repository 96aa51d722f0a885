export { startSimulator } from './server.js';
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
