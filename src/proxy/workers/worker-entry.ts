// The script a proxy worker thread runs when the agent runs from source (bin/sidecar, the
// tests); the bundles start workers from their own entry (src/main.ts checks isProxyWorkerThread).
import { runProxyWorker } from './proxy-worker.js';

runProxyWorker();
