import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => "bytea",
  fromDriver: (value) => Buffer.from(value),
});
const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

export const users = pgTable(
  "users",
  {
    id: text("id").primaryKey(),
    /** Stored lower-cased and trimmed; unique. */
    email: text("email").notNull(),
    emailVerifiedAt: tstz("email_verified_at"),
    name: text("name").notNull(),
    /** Bumped on every avatar change, so avatar URLs can be cached forever. */
    avatarVersion: integer("avatar_version").notNull().default(0),
    phoneNumber: text("phone_number"),
    phoneVerifiedAt: tstz("phone_verified_at"),
    twoFactorSms: boolean("two_factor_sms").notNull().default(false),
    /** A confirmed authenticator app (totp_credentials); kept here so the session check stays one query. */
    twoFactorTotp: boolean("two_factor_totp").notNull().default(false),
    /** Rows in passkeys, recomputed in the transaction that adds or removes one. */
    passkeyCount: integer("passkey_count").notNull().default(0),
    /** Unused rows in recovery_codes, recomputed in the statement's transaction that uses or replaces them. */
    recoveryCodesLeft: integer("recovery_codes_left").notNull().default(0),
    /** WebAuthn user handle: random, never the account id or email (it is stored on the authenticator). */
    webauthnUserId: text("webauthn_user_id"),
    /** Set after too many wrong codes across challenges; no code is checked for this account until then. */
    codeEntryBlockedUntil: tstz("code_entry_blocked_until"),
    /**
     * Bumped by every change to what sign-in checks (password, second-factor switch, phone, email). A session or
     * challenge is only inserted while the version it was checked against is still the row's (src/core/credentials.ts).
     */
    credentialsVersion: integer("credentials_version").notNull().default(1),
    createdAt: tstz("created_at").notNull().defaultNow(),
    updatedAt: tstz("updated_at").notNull().defaultNow(),
  },
  // No unique index on phone_number: a number is a second factor, not an identifier (families share phones), and
  // a uniqueness answer would let any account holder test whose number is whose.
  (t) => [uniqueIndex("users_email_key").on(t.email)],
);

export const passwordCredentials = pgTable("password_credentials", {
  userId: text("user_id")
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  /** argon2id PHC string. */
  passwordHash: text("password_hash").notNull(),
  updatedAt: tstz("updated_at").notNull().defaultNow(),
});

export const avatars = pgTable("avatars", {
  userId: text("user_id")
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  contentType: text("content_type").notNull(),
  bytes: bytea("bytes").notNull(),
  updatedAt: tstz("updated_at").notNull().defaultNow(),
});

export const sessions = pgTable(
  "sessions",
  {
    /** Public half of the token (`id.secret`); also the id shown in the sessions list. */
    id: text("id").primaryKey(),
    /** SHA-256 of the secret half; the token itself is never stored. */
    secretHash: bytea("secret_hash").notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** 1 = password (or email link), 2 = password + second factor. */
    assuranceLevel: smallint("assurance_level").notNull().default(1),
    /** When this session last passed a second factor (sign-in or step-up); security changes need it recent. */
    secondFactorAt: tstz("second_factor_at"),
    createdAt: tstz("created_at").notNull().defaultNow(),
    lastSeenAt: tstz("last_seen_at").notNull().defaultNow(),
    /** Absolute expiry, fixed at creation. Idle expiry is derived from last_seen_at. */
    expiresAt: tstz("expires_at").notNull(),
    ip: text("ip"),
    userAgent: text("user_agent"),
  },
  (t) => [index("sessions_user_id_idx").on(t.userId)],
);

export const oneTimeTokens = pgTable(
  "one_time_tokens",
  {
    id: text("id").primaryKey(),
    purpose: text("purpose", {
      enum: ["verify_email", "reset_password", "change_email", "unlock_sign_in", "account_recovery"],
    }).notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** HMAC(SECRET, id + secret): a database dump alone cannot mint or replay a link. */
    secretHash: bytea("secret_hash").notNull(),
    /** The address the link was sent to (the new address for an email change). */
    email: text("email").notNull(),
    /**
     * Sign-up links only: the argon2id hash of the password chosen by the sign-up that asked for this link.
     * Following the link sets it, so an unverified account pre-registered by someone else never keeps their
     * password once the address owner confirms (account pre-hijacking).
     */
    passwordHash: text("password_hash"),
    /** Sign-up links only: the name that sign-up gave, set with the password when the link is followed. */
    name: text("name"),
    createdAt: tstz("created_at").notNull().defaultNow(),
    expiresAt: tstz("expires_at").notNull(),
    usedAt: tstz("used_at"),
  },
  (t) => [index("one_time_tokens_user_purpose_idx").on(t.userId, t.purpose)],
);

/**
 * Second-factor challenges (sign-in, phone verification). Created by sign-in for users with a second factor;
 * codes and delivery arrive with the SMS issue. Budgets live on the row so they survive resends.
 */
export const challenges = pgTable(
  "challenges",
  {
    id: text("id").primaryKey(),
    purpose: text("purpose", { enum: ["sign_in", "phone_verification", "step_up"] }).notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** users.credentials_version when the challenge was opened: a change since then makes it worthless. */
    credentialsVersion: integer("credentials_version").notNull().default(0),
    /** Step-up challenges: the session that asked, and the only one the passed factor is credited to. */
    sessionId: text("session_id"),
    /** Hash of the client binding (user agent + challenge cookie) so a challenge cannot move between clients. */
    clientBinding: bytea("client_binding"),
    phoneNumber: text("phone_number"),
    codeHash: bytea("code_hash"),
    codeExpiresAt: tstz("code_expires_at"),
    /** The WebAuthn challenge of this step's passkey options, when the passkey step was started. */
    webauthnChallenge: text("webauthn_challenge"),
    /** Why the first text could not be sent (a limit, the provider), so a page reading the challenge can say so. */
    smsError: jsonb("sms_error").$type<{ code: string; message: string; retryAt: string | null }>(),
    attempts: integer("attempts").notNull().default(0),
    sends: integer("sends").notNull().default(0),
    resendAt: tstz("resend_at"),
    createdAt: tstz("created_at").notNull().defaultNow(),
    expiresAt: tstz("expires_at").notNull(),
    completedAt: tstz("completed_at"),
  },
  (t) => [index("challenges_user_id_idx").on(t.userId)],
);

export const outboxMessages = pgTable(
  "outbox_messages",
  {
    id: text("id").primaryKey(),
    channel: text("channel", { enum: ["email", "sms"] }).notNull(),
    template: text("template").notNull(),
    recipient: text("recipient").notNull(),
    /**
     * AES-256-GCM of the template data (rendered at send time): it carries sign-in links and codes, which must
     * not sit in the database in clear.
     */
    payload: bytea("payload").notNull(),
    status: text("status", { enum: ["pending", "sent", "failed"] })
      .notNull()
      .default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: tstz("next_attempt_at").notNull().defaultNow(),
    lastError: text("last_error"),
    providerMessageId: text("provider_message_id"),
    /** From the provider's status callback (Twilio: delivered, undelivered, failed …) and its error code. */
    deliveryStatus: text("delivery_status"),
    deliveryErrorCode: text("delivery_error_code"),
    createdAt: tstz("created_at").notNull().defaultNow(),
    sentAt: tstz("sent_at"),
  },
  (t) => [
    index("outbox_messages_provider_id_idx").on(t.providerMessageId),
    index("outbox_messages_due_idx").on(t.nextAttemptAt).where(sql`status = 'pending'`),
    index("outbox_messages_created_idx").on(t.createdAt),
  ],
);

export const securityEvents = pgTable(
  "security_events",
  {
    id: text("id").primaryKey(),
    userId: text("user_id").references(() => users.id, { onDelete: "cascade" }),
    type: text("type").notNull(),
    ip: text("ip"),
    userAgent: text("user_agent"),
    details: jsonb("details").$type<Record<string, unknown>>(),
    createdAt: tstz("created_at").notNull().defaultNow(),
  },
  (t) => [index("security_events_user_created_idx").on(t.userId, t.createdAt)],
);

/**
 * Password sign-in throttling per email address (src/core/sign-in-throttle.ts). Keyed by an HMAC of the
 * normalised address, known or not, so throttling behaves identically for unknown addresses (no enumeration)
 * and the table holds no address typed by a stranger in clear.
 */
export const signInThrottles = pgTable(
  "sign_in_throttles",
  {
    key: text("key").primaryKey(),
    /** Consecutive attempts that did not succeed; counted before the password is checked. */
    failures: integer("failures").notNull(),
    /** The next attempt is refused before this instant (growing delays). */
    retryAt: tstz("retry_at").notNull(),
    /** Set at the lock threshold; only an emailed unlock link, a password reset or a known device lifts it. */
    lockedAt: tstz("locked_at"),
    lastAttemptAt: tstz("last_attempt_at").notNull(),
  },
  (t) => [index("sign_in_throttles_last_attempt_idx").on(t.lastAttemptAt)],
);

/**
 * Authenticator app (RFC 6238). One per account: a row with confirmed_at null is a setup not yet proved by a code
 * (a new setup replaces it). The secret is sealed with a key derived from SECRET (AES-256-GCM).
 */
export const totpCredentials = pgTable("totp_credentials", {
  userId: text("user_id")
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  secret: bytea("secret").notNull(),
  confirmedAt: tstz("confirmed_at"),
  /** The last 30-second step a code was accepted for: a code is taken once, and never an older one after it. */
  lastUsedStep: bigint("last_used_step", { mode: "number" }),
  createdAt: tstz("created_at").notNull().defaultNow(),
});

/** Ten single-use codes per account, HMAC(SECRET, …) of the code: a dump alone cannot use or test them. */
export const recoveryCodes = pgTable(
  "recovery_codes",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    codeHash: bytea("code_hash").notNull(),
    createdAt: tstz("created_at").notNull().defaultNow(),
    usedAt: tstz("used_at"),
  },
  (t) => [uniqueIndex("recovery_codes_user_code_key").on(t.userId, t.codeHash)],
);

/** WebAuthn credentials (passkeys and security keys). */
export const passkeys = pgTable(
  "passkeys",
  {
    /** The credential id, base64url. */
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    publicKey: bytea("public_key").notNull(),
    counter: bigint("counter", { mode: "number" }).notNull().default(0),
    transports: jsonb("transports").$type<string[]>(),
    deviceType: text("device_type"),
    backedUp: boolean("backed_up").notNull().default(false),
    name: text("name").notNull(),
    createdAt: tstz("created_at").notNull().defaultNow(),
    lastUsedAt: tstz("last_used_at"),
  },
  (t) => [index("passkeys_user_id_idx").on(t.userId)],
);

/**
 * A WebAuthn ceremony outside a challenge: registering a passkey (signed in) or signing in with one (no user yet).
 * Single use; found by the challenge the authenticator signed.
 */
export const passkeyCeremonies = pgTable(
  "passkey_ceremonies",
  {
    id: text("id").primaryKey(),
    purpose: text("purpose", { enum: ["register", "sign_in"] }).notNull(),
    userId: text("user_id").references(() => users.id, { onDelete: "cascade" }),
    sessionId: text("session_id"),
    challenge: text("challenge").notNull(),
    clientBinding: bytea("client_binding"),
    /** register: users.credentials_version when the options were made. */
    credentialsVersion: integer("credentials_version"),
    createdAt: tstz("created_at").notNull().defaultNow(),
    expiresAt: tstz("expires_at").notNull(),
    usedAt: tstz("used_at"),
  },
  (t) => [uniqueIndex("passkey_ceremonies_challenge_key").on(t.challenge)],
);

/** "Don't ask again on this browser": a browser whose cookie secret hashes to secret_hash skips the second step. */
export const trustedBrowsers = pgTable(
  "trusted_browsers",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    secretHash: bytea("secret_hash").notNull(),
    ip: text("ip"),
    userAgent: text("user_agent"),
    createdAt: tstz("created_at").notNull().defaultNow(),
    lastUsedAt: tstz("last_used_at").notNull().defaultNow(),
    expiresAt: tstz("expires_at").notNull(),
  },
  (t) => [index("trusted_browsers_user_id_idx").on(t.userId)],
);

/**
 * Lost every factor (ACCOUNT_RECOVERY=email): the emailed link was followed; after ready_at the factors are reset,
 * unless the owner cancels it or a credential changes first (credentials_version).
 */
export const accountRecoveries = pgTable(
  "account_recoveries",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    credentialsVersion: integer("credentials_version").notNull(),
    requestedAt: tstz("requested_at").notNull().defaultNow(),
    readyAt: tstz("ready_at").notNull(),
    completedAt: tstz("completed_at"),
    cancelledAt: tstz("cancelled_at"),
    ip: text("ip"),
    userAgent: text("user_agent"),
  },
  (t) => [index("account_recoveries_user_id_idx").on(t.userId)],
);

/** Fixed-window counters for rate-limiter-flexible (RateLimiterDrizzle) when no REDIS_URL is set. */
export const rateLimits = pgTable("rate_limits", {
  key: text("key").primaryKey(),
  points: integer("points").notNull(),
  expire: tstz("expire"),
});

export type UserRow = typeof users.$inferSelect;
export type SessionRow = typeof sessions.$inferSelect;
export type OneTimeTokenRow = typeof oneTimeTokens.$inferSelect;
export type OutboxMessageRow = typeof outboxMessages.$inferSelect;
export type ChallengeRow = typeof challenges.$inferSelect;
