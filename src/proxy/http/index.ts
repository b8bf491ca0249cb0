/** proxy/http: HTTP/1.1-aware forwarding on raw sockets (parsers, pools, per-request round robin). */
export {
  type HttpForwarderStats,
  type HttpForwarderCounters,
  type HttpEndpointStats,
  HttpForwarder,
} from './http-forwarder.js';
export { type HttpCounters, type LatencyHistogram, type ResponseClassCounts, type HttpErrorCounts, LATENCY_BUCKETS_MS } from './http-stats.js';
export { type BodyFraming, type RequestHead, type ResponseHead, type HeadError, MAX_HEAD_BYTES, parseRequestHead, parseResponseHead } from './http-head.js';
export { type BodyFramer, ChunkedFramer, framerFor } from './body-framer.js';
