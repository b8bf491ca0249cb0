/**
 * A service's health check as the catalog describes it (what the Go Sidecar keeps beside a
 * service): `type` is `HttpGet`, `External`, … or `''` for "use the default". Discovery
 * finds it (labels, the static file); health runs it.
 */
export interface CheckSpec {
  readonly type: string;
  /** Argument string; may hold `{{ host }}`, `{{ tcp N }}`… templates (rendered by health). */
  readonly args: string;
}
