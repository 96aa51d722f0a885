export { runContractSuites } from './all.js';
export { runBrokersSuite } from './brokers.js';
export { runBrowserSuite } from './browser.js';
export { ACCEPT_HTML, ACCEPT_JSON, Browserless, type BrowserlessRequest } from './browserless.js';
export { formatReport } from './load/report.js';
export { type LoadOptions, type LoadReport, type LoginOutcome, runLoad } from './load/run.js';
export { type LoadSuiteTarget, runLoadInvariantsSuite } from './load/suite.js';
export { runLoginHookSuite } from './login-hook.js';
export { runLogoutSticksSuite } from './logout-sticks.js';
export { runRelaySuite } from './relay.js';
export { runServerSuite, type ServerSuiteOptions } from './server.js';
export { endSessionAtSimulatedOp, followRedirects, loginAtSimulatedOp } from './simulated-op.js';
export {
  completeSimulatorSession,
  parseSimulatorForm,
  type SimulatorForm,
  sessionByBindingMessage,
  simulatorSessions,
  simulatorUsers,
} from './simulator-page.js';
export { runSmallerRulesSuite } from './smaller-rules.js';
export { runConformanceSuite } from './suite.js';
export {
  type ConformanceApp,
  type ConformanceStartOptions,
  type ConformanceTarget,
  PREFIX,
} from './target.js';
export { approveOnSimulatorPage, CookieJarClient, freePort, pollWhilePending } from './test-client.js';
export { runTwoProcessesSuite, type TwoProcessesTarget } from './two-processes.js';
export { runVerifySuite } from './verify.js';
