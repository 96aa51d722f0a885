export { startSimulator } from './server.js';
export type {
  Fault,
  Simulator,
  SimulatorOptions,
  SimulatorSessionView,
  TestUser,
} from './types.js';
export { TEST_USERS } from './users.js';
