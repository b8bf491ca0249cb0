/**
 * health: checks this host's services (HttpGet, External, AlwaysSuccessful, Tcp) and turns
 * the results into the status each announced record carries, like the Go Sidecar's `healthy`.
 */
export { type Checker, type CheckOutcome, type CheckResult } from './checker.js';
export { HttpGetChecker } from './http-get-checker.js';
export { ExternalChecker } from './external-checker.js';
export { AlwaysSuccessfulChecker } from './always-successful-checker.js';
export { TcpChecker } from './tcp-checker.js';
export { DockerHealthChecker, type DockerHealthState } from './docker-health-checker.js';
export { CHECK_TYPES, type CheckType, checkerFor, isKnownCheckType } from './checker-registry.js';
export { renderCheckArgs, type RenderResult, type TemplateContext } from './template.js';
export {
  CheckState,
  type CheckStateName,
  type Thresholds,
  type ThresholdState,
  GO_THRESHOLDS,
  applyResult,
  initialThresholdState,
  serviceStatusFor,
} from './thresholds.js';
export { defaultCheckFor, type CheckPlan } from './default-check.js';
export {
  HealthMonitor,
  type HealthMonitorOptions,
  type CheckDescription,
  type StatusChange,
} from './health-monitor.js';
export { type CheckCount, type CheckOutcomeName } from './check-counts.js';
