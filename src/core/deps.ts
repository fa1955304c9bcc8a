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
  /** ACCOUNT_RECOVERY: whether a user who lost every second factor may reset them by email (core/account-recovery.ts). */
  accountRecovery: "off" | "email";
}

export type SmsDeliveryOutcome =
  | { ok: true }
  /** Transient: the outbox retries it; the user need not resubmit. */
  | { ok: false; permanent: false }
  | {
      ok: false;
      permanent: true;
      reason: "invalid_phone" | "unsupported_destination" | "opted_out" | "configuration" | "rejected";
    };

/** The SMS provider as the flows see it: who makes and checks codes, and same-request delivery. */
export interface SmsPort {
  /** "local": we generate codes and keep their HMAC; "provider": Twilio Verify generates and checks them. */
  codes: "local" | "provider";
  /** Sends a queued SMS now, so a permanent error reaches the user on the request that caused it. */
  deliverNow(messageId: string): Promise<SmsDeliveryOutcome>;
  /** codes = "provider" only. */
  checkCode(phoneNumber: string, code: string): Promise<boolean>;
}

/** An online breached-password lookup (PWNED_PASSWORDS=1). null = could not tell: the caller fails open. */
export interface BreachedPasswordCheck {
  isBreached(password: string): Promise<boolean | null>;
}

/** argon2id hashing at the configured cost (PASSWORD_HASH_COST); made by createPasswordHasher in passwords.ts. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** False, never a throw, for a wrong password or a malformed hash. */
  verify(passwordHash: string, password: string): Promise<boolean>;
  /** One verify against a throwaway hash, for an unknown email: always false. */
  verifyDummy(password: string): Promise<false>;
}

export interface Deps {
  repo: Repository;
  config: CoreConfig;
  limiter: RateLimiter;
  sms: SmsPort;
  passwordHasher: PasswordHasher;
  /**
   * The refused-password list (COMMON_PASSWORDS_FILE), lower-cased; read once at start-up by the server, so core
   * never touches the disk.
   */
  commonPasswords: ReadonlySet<string>;
  /** Absent unless PWNED_PASSWORDS=1; the shipped common-password list applies either way. */
  breachedPasswords?: BreachedPasswordCheck;
  now(): Date;
  /**
   * Runs work after the answer is sent. For flows whose answer must not reveal whether an account exists
   * (forgot-password, resend-verification): the account's extra work (a link, an email) would otherwise show
   * in the response time.
   */
  afterResponse(task: () => Promise<void>): void;
  /** Called after a transaction that enqueued messages commits, to wake the outbox worker. */
  messagesQueued(): void;
}
