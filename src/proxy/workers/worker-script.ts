/**
 * What a proxy worker thread runs: a file (source or package bundle) or code (the single
 * executable, which has no file to point at). The entry that starts the agent sets it for
 * bundles; running from source, the default (worker-entry.ts beside this file) is right.
 */
export type WorkerScript = { readonly url: URL } | { readonly code: string };

let configured: WorkerScript | undefined;

/** Set once by the entry point of a bundle, before the load balancer starts. */
export function setProxyWorkerScript(script: WorkerScript): void {
  configured = script;
}

export function proxyWorkerScript(): WorkerScript {
  return configured ?? { url: new URL('./worker-entry.ts', import.meta.url) };
}
