// What drives an app without vitest: the browser without a browser, the simulator's page and control surface, and
// the load driver. Scripts (benchmarks, the load test) import this entry; the suites import vitest.
export { ACCEPT_HTML, ACCEPT_JSON, Browserless, type BrowserlessRequest } from './browserless.js';
export { formatReport } from './load/report.js';
export { type LoadOptions, type LoadReport, type LoginOutcome, runLoad } from './load/run.js';
export { endSessionAtSimulatedOp, followRedirects, loginAtSimulatedOp } from './simulated-op.js';
export {
  completeSimulatorSession,
  parseSimulatorForm,
  type SimulatorForm,
  simulatorSessions,
  simulatorUsers,
} from './simulator-page.js';
export { approveOnSimulatorPage, CookieJarClient, freePort, pollWhilePending } from './test-client.js';
