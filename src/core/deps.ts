import type { Repository } from "./repository";
import type { RateLimiter } from "./limits";

/** What the flows need from configuration (a subset of src/config.ts, so core stays free of env parsing). */
export interface CoreConfig {
  appName: string;
  appUrl: string;
  secret: Buffer;
  sessionIdleTimeoutSeconds: number;
  sessionAbsoluteTimeoutSeconds: number;
}

export interface Deps {
  repo: Repository;
  config: CoreConfig;
  limiter: RateLimiter;
  now(): Date;
  /** Called after a transaction that enqueued messages commits, to wake the outbox worker. */
  messagesQueued(): void;
}
