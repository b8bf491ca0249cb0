/**
 * The gossip simulator: thousands of real Memberlist nodes in one process on the in-memory
 * network and a simulated clock, deterministic for a given seed. Used by the gossip benchmark
 * (bench/gossip) and the simulator tests.
 */
export { SimClock, type SimClockOptions } from './sim-clock.js';
export { NodeClock } from './node-clock.js';
export { RecordDelegate, makeRecordPayload, type HeldRecord, type RecordDelegateOptions } from './record-delegate.js';
export {
  SimCluster,
  SIM_PORT,
  type SimClusterOptions,
  type SimNode,
  type SimNodeState,
  type MemberLeftEvent,
  type MemberStateEvent,
  type RecordAcceptedEvent,
} from './sim-cluster.js';
export { CONVERGENCE_FRACTIONS, convergenceTimes, measureTraffic, type ConvergenceTimes, type TrafficRate } from './metrics.js';
export {
  broadcastScenario,
  failureScenario,
  leaveScenario,
  stallScenario,
  type BroadcastResult,
  type FailureResult,
  type LeaveResult,
  type StallResult,
} from './scenarios.js';
export { simulate, SCENARIOS, type ScenarioName, type SimulationOptions, type SimulationResult, type PhaseCost } from './simulate.js';
