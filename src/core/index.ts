/**
 * core: the vocabulary every other folder shares — errors, time, timers, events, disposables,
 * logging, Go-compatible JSON and `host:port` addresses. Imports nothing of ours.
 */
export { ErrorCode, SidecarError, BugError, hasCode, errorMessage, type OperationalErrorCode } from './errors.js';
export { assertNever } from './assert.js';
export {
  type Timestamp,
  EPOCH,
  NS_PER_MS,
  NS_PER_SECOND,
  msToTimestamp,
  secondsToNs,
  timestampToMs,
  formatTimestamp,
  parseTimestamp,
  formatGoTimeString,
} from './timestamp.js';
export { type Clock, type TimerHandle, systemClock, sleep } from './clock.js';
export { MAX_PORT, splitHostPort } from './host-port.js';
export { FakeClock, type FakeTimer } from './fake-clock.js';
export { TimestampSource } from './timestamp-source.js';
export {
  type GoJson,
  RawJson,
  goString,
  compareGoKeys,
  sortedMap,
  encodeGoJson,
  encodeGoJsonPretty,
  toGoJson,
} from './go-json.js';
export { type Disposable, toDisposable, DisposableStore } from './disposable.js';
export { Backoff, type BackoffOptions } from './backoff.js';
export { type Event, type ListenerErrorHandler, Emitter, rethrowAsync, rethrowToProducer } from './emitter.js';
export {
  type Logger,
  type LogLevel,
  type LogFormat,
  type LoggerOptions,
  LOG_LEVELS,
  LOG_FORMATS,
  createLogger,
  formatTextLine,
  silentLogger,
} from './logger.js';
export { JsonStreamSplitter } from './json-stream-splitter.js';
export { type FdLimits, CONTROL_PLANE_RESERVE_FDS, parseFdLimits, readFdLimits, defaultMaxConnections, apiMaxConnections } from './fd-limits.js';
export { type BoundedFile, boundedFileProblem, readBoundedFile } from './bounded-file.js';
export { LogLimiter, KeyedLogLimiter } from './log-limiter.js';
export { LOCAL_SHORTAGE_ADVICE, localShortageCode, localShortageAdvice, probeDescriptorShortage } from './local-shortage.js';
export { redactUrls } from './redact-url.js';
