import type { Repository } from "./repository";
import type { RateLimiter } from "./limits";

/** What the flows need from configuration (a subset of src/config.ts, so core stays free of env parsing). */
export interface CoreConfig {
  appName: string;
  appUrl: string;
  secret: Buffer;
  sessionIdleTimeoutSeconds: number;
  sessionAbsoluteTimeoutSeconds: number;
  sms: { allowedCountries: string[] | null; globalHourlyLimit: number };
}

export type SmsDeliveryOutcome =
  | { ok: true }
  /** Transient: the outbox retries it; the user need not resubmit. */
  | { ok: false; permanent: false }
  | { ok: false; permanent: true; reason: "invalid_phone" | "unsupported_destination" | "opted_out" | "configuration" | "rejected" };

/** The SMS provider as the flows see it: who makes and checks codes, and same-request delivery. */
export interface SmsPort {
  /** "local": we generate codes and keep their HMAC; "provider": Twilio Verify generates and checks them. */
  codes: "local" | "provider";
  /** Sends a queued SMS now, so a permanent error reaches the user on the request that caused it. */
  deliverNow(messageId: string): Promise<SmsDeliveryOutcome>;
  /** codes = "provider" only. */
  checkCode(phoneNumber: string, code: string): Promise<boolean>;
}

export interface Deps {
  repo: Repository;
  config: CoreConfig;
  limiter: RateLimiter;
  sms: SmsPort;
  now(): Date;
  /** Called after a transaction that enqueued messages commits, to wake the outbox worker. */
  messagesQueued(): void;
}
