import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { LevelWithSilent } from "pino";
import type { PasswordHashCost } from "./core/passwords";

/** Everything the server reads from the environment, resolved once at start-up. */
export interface Config {
  production: boolean;
  port: number;
  /** HOST: the interface to listen on; unset = loopback while a channel uses the dev outbox, else every interface. */
  host: string | undefined;
  appUrl: string;
  /** Origins allowed on cookie-authenticated writes (APP_URL first). */
  trustedOrigins: string[];
  databaseUrl: string | undefined;
  /** DATABASE_POOL_SIZE: PostgreSQL connections per process. */
  databasePoolSize: number;
  /** MIGRATIONS_DIR, absolute; it exists and holds drizzle's journal. */
  migrationsDir: string;
  dataDir: string;
  secret: Buffer;
  smtpUrl: string | undefined;
  emailFrom: string;
  redisUrl: string | undefined;
  trustProxy: TrustProxy;
  sessionIdleTimeoutSeconds: number;
  sessionAbsoluteTimeoutSeconds: number;
  /**
   * Which channels have no real provider and land in the dev outbox instead: email while SMTP_URL is unset, SMS
   * while SMS_PROVIDER is `outbox`, whatever NODE_ENV says. GET /api/dev/outbox and /dev/inbox exist only while
   * one of them is true, and list only these channels' messages (never a real provider's).
   */
  devOutbox: { email: boolean; sms: boolean };
  appName: string;
  sms: SmsConfig;
  /** COMMON_PASSWORDS_FILE, absolute; it exists. The server reads it once into Deps.commonPasswords. */
  commonPasswordsFile: string;
  /** PASSWORD_HASH_COST: argon2id's parameters for new hashes; `test` only under NODE_ENV=test. */
  passwordHashCost: PasswordHashCost;
  logLevel: LogLevel;
  /** PWNED_PASSWORDS=1: new passwords are also looked up in Have I Been Pwned (k-anonymity range API). */
  pwnedPasswords: { apiBase: string; timeoutMs: number } | null;
  /** How long a message claimed by a worker stays hidden from the others (a crashed worker's claim expires). */
  outboxLeaseSeconds: number;
  /**
   * Work deferred until after an answer (Deps.afterResponse) starts after a random 0..N ms, so it does not land on
   * the very next request: otherwise the time of the request after a forgot-password or resend for an existing
   * address tells that it exists (bench/enumeration-timing.mjs, "AUC next"). 0 in tests.
   */
  afterResponseJitterMs: number;
  /**
   * ACCOUNT_RECOVERY: `email` lets someone who lost every second factor remove them with the password, an emailed
   * link and a 24-hour wait announced on every channel (core/account-recovery.ts); `off` (the default) leaves that
   * to the operator.
   */
  accountRecovery: AccountRecoveryMode;
}

export type AccountRecoveryMode = "off" | "email";

export type SmsProvider = "twilio" | "twilio-verify" | "outbox";

export interface SmsConfig {
  provider: SmsProvider;
  twilio: {
    accountSid: string;
    authToken: string;
    from?: string;
    messagingServiceSid?: string;
    verifyServiceSid?: string;
    apiBase: string;
    verifyApiBase: string;
    /** Budget for one Twilio call, answer included. */
    timeoutMs: number;
  } | null;
  /** ISO 3166 alpha-2 codes; null = every country. */
  allowedCountries: string[] | null;
  globalHourlyLimit: number;
}

export type TrustProxy = { kind: "none" } | { kind: "hops"; hops: number } | { kind: "cidrs"; cidrs: string[] };

export type LogLevel = LevelWithSilent;

export class ConfigError extends Error {}

// Relative to the working directory (the project root): inside the Next.js bundle import.meta.url no longer
// points at src/. Exported for the callers that open a database or read the list without a Config (tests).
export const DEFAULT_DATABASE_POOL_SIZE = 10;
export const DEFAULT_MIGRATIONS_DIR = "src/db/migrations";
export const DEFAULT_COMMON_PASSWORDS_FILE = "src/core/data/common-passwords.txt";

// PostgreSQL's default max_connections is 100, shared by every process: a larger pool in one process could never
// fill, and a figure like 1000 is a typo rather than a plan.
const DATABASE_POOL_SIZE_MAX = 100;

const LOG_LEVELS: readonly LogLevel[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new ConfigError(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

function databasePoolSize(env: NodeJS.ProcessEnv): number {
  const size = positiveInt(env, "DATABASE_POOL_SIZE", DEFAULT_DATABASE_POOL_SIZE);
  if (size > DATABASE_POOL_SIZE_MAX)
    throw new ConfigError(`DATABASE_POOL_SIZE must be at most ${DATABASE_POOL_SIZE_MAX}, got ${size}`);
  return size;
}

function logLevel(env: NodeJS.ProcessEnv): LogLevel {
  const raw = env.LOG_LEVEL || (env.NODE_ENV === "test" ? "silent" : "info");
  const level = LOG_LEVELS.find((known) => known === raw);
  if (!level) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, got "${raw}"`);
  return level;
}

/**
 * The absolute path of an existing file or directory, named by `name` or else the default (from the working directory).
 */
function existingPath(env: NodeJS.ProcessEnv, name: string, fallback: string, kind: "file" | "directory"): string {
  // A path read at run time, not a file of the build: the ignore comment keeps Turbopack from tracing (and watching)
  // the whole project for it.
  const resolved = path.resolve(/* turbopackIgnore: true */ env[name] || fallback);
  // Checked here rather than at first use: a missing list would otherwise surface as a failed sign-up.
  const stats = statSync(resolved, { throwIfNoEntry: false });
  const found = kind === "file" ? stats?.isFile() : stats?.isDirectory();
  if (found) return resolved;
  if (env[name]) throw new ConfigError(`${name} must name an existing ${kind}, got "${env[name]}" (${resolved})`);
  throw new ConfigError(
    `${name} is unset and its default, ${resolved}, is not an existing ${kind}: start from the project root or set ${name}`,
  );
}

function migrationsDir(env: NodeJS.ProcessEnv): string {
  const dir = existingPath(env, "MIGRATIONS_DIR", DEFAULT_MIGRATIONS_DIR, "directory");
  // drizzle's migrator starts from this journal; without it every start would fail at the first query instead.
  if (!existsSync(path.join(dir, "meta", "_journal.json")))
    throw new ConfigError(`MIGRATIONS_DIR (${dir}) holds no drizzle migrations (meta/_journal.json)`);
  return dir;
}

function accountRecovery(env: NodeJS.ProcessEnv): AccountRecoveryMode {
  const mode = env.ACCOUNT_RECOVERY || "off";
  if (mode !== "off" && mode !== "email") throw new ConfigError(`ACCOUNT_RECOVERY must be off or email, got "${mode}"`);
  return mode;
}

function passwordHashCost(env: NodeJS.ProcessEnv): PasswordHashCost {
  const cost = env.PASSWORD_HASH_COST || "standard";
  if (cost !== "standard" && cost !== "test")
    throw new ConfigError(`PASSWORD_HASH_COST must be standard or test, got "${cost}"`);
  // The test cost (8 KiB, one pass) would let a stolen database be cracked at full speed. Exactly NODE_ENV=test:
  // a server whose NODE_ENV is unset or mistyped is refused too.
  if (cost === "test" && env.NODE_ENV !== "test") {
    throw new ConfigError(
      `PASSWORD_HASH_COST=test is for test runs only (NODE_ENV=test), but NODE_ENV is ${env.NODE_ENV ? `"${env.NODE_ENV}"` : "unset"}`,
    );
  }
  return cost;
}

function parseTrustProxy(raw: string | undefined): TrustProxy {
  if (!raw || raw === "0" || raw === "false") return { kind: "none" };
  if (/^\d+$/.test(raw)) return { kind: "hops", hops: Number(raw) };
  if (raw === "true") return { kind: "hops", hops: 1 };
  return {
    kind: "cidrs",
    cidrs: raw
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  };
}

function loadSmsConfig(env: NodeJS.ProcessEnv, production: boolean): SmsConfig {
  const accountSid = env.TWILIO_ACCOUNT_SID || undefined;
  const authToken = env.TWILIO_AUTH_TOKEN || undefined;
  const twilio =
    accountSid && authToken
      ? {
          accountSid,
          authToken,
          from: env.TWILIO_FROM || undefined,
          messagingServiceSid: env.TWILIO_MESSAGING_SERVICE_SID || undefined,
          verifyServiceSid: env.TWILIO_VERIFY_SERVICE_SID || undefined,
          apiBase: env.TWILIO_API_BASE || "https://api.twilio.com",
          verifyApiBase: env.TWILIO_VERIFY_API_BASE || "https://verify.twilio.com",
          timeoutMs: positiveInt(env, "TWILIO_TIMEOUT_MS", 10_000),
        }
      : null;
  const provider = (env.SMS_PROVIDER || (twilio ? "twilio" : "outbox")) as SmsProvider;
  if (!["twilio", "twilio-verify", "outbox"].includes(provider))
    throw new ConfigError(`SMS_PROVIDER must be twilio, twilio-verify or outbox, got "${provider}"`);
  if (provider !== "outbox" && !twilio)
    throw new ConfigError(`SMS_PROVIDER=${provider} needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN`);
  if (provider === "twilio" && !twilio?.from && !twilio?.messagingServiceSid)
    throw new ConfigError("SMS_PROVIDER=twilio needs TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID");
  if (provider === "twilio-verify" && !twilio?.verifyServiceSid)
    throw new ConfigError("SMS_PROVIDER=twilio-verify needs TWILIO_VERIFY_SERVICE_SID");
  // Production never silently drops codes into a dev outbox that nobody reads.
  if (production && provider === "outbox")
    throw new ConfigError("production needs real SMS: set the Twilio variables (SMS_PROVIDER=twilio or twilio-verify)");
  const countries = (env.SMS_ALLOWED_COUNTRIES ?? "")
    .split(",")
    .map((c) => c.trim().toUpperCase())
    .filter(Boolean);
  if (countries.some((c) => !/^[A-Z]{2}$/.test(c)))
    throw new ConfigError(
      `SMS_ALLOWED_COUNTRIES must be ISO country codes like US,CA,GB, got "${env.SMS_ALLOWED_COUNTRIES}"`,
    );
  return {
    provider,
    twilio,
    allowedCountries: countries.length > 0 ? countries : null,
    globalHourlyLimit: positiveInt(env, "SMS_GLOBAL_HOURLY_LIMIT", 200),
  };
}

export type DevChannel = "email" | "sms";

/** The channels whose messages the dev outbox may show; empty = no dev routes at all. */
export function devOutboxChannels(config: Pick<Config, "devOutbox">): DevChannel[] {
  return (["email", "sms"] as const).filter((channel) => config.devOutbox[channel]);
}

/**
 * Where the server listens: HOST when set; otherwise loopback while the dev outbox is on (its page shows every
 * code and reset link, so a dev server is not reachable from the network unless asked for); otherwise every
 * interface (undefined).
 */
export function listenHost(config: Pick<Config, "host" | "devOutbox">): string | undefined {
  return config.host ?? (devOutboxChannels(config).length > 0 ? "127.0.0.1" : undefined);
}

/** One line per channel for the start-up log. The SMTP URL's host only: the URL may carry a password. */
export function deliveryModes(config: Pick<Config, "devOutbox" | "smtpUrl" | "sms" | "appUrl">): {
  email: string;
  sms: string;
} {
  const dev = `dev outbox (${config.appUrl}/dev/inbox, GET /api/dev/outbox; to this machine only)`;
  return {
    email: config.devOutbox.email ? dev : `SMTP ${smtpHost(config.smtpUrl)}`,
    sms: config.devOutbox.sms ? dev : config.sms.provider,
  };
}

function smtpHost(url: string | undefined): string {
  try {
    return new URL(url ?? "").host || "(no host)";
  } catch {
    return "(unparsable SMTP_URL)";
  }
}

function originOf(url: string, name: string): string {
  try {
    return new URL(url).origin;
  } catch {
    throw new ConfigError(`${name} must be an absolute URL, got "${url}"`);
  }
}

/**
 * SECRET keys the HMACs of codes and link tokens. In development it is generated once into DATA_DIR so
 * tokens survive restarts; in production a missing or short secret is a configuration error, never a default.
 */
function loadSecret(env: NodeJS.ProcessEnv, production: boolean, dataDir: string): Buffer {
  const raw = env.SECRET;
  if (raw) {
    if (Buffer.byteLength(raw) < 32) throw new ConfigError("SECRET must be at least 32 bytes");
    return Buffer.from(raw);
  }
  if (production) throw new ConfigError("SECRET is required in production");
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, "secret");
  if (existsSync(file)) {
    // An emptied or truncated file would otherwise key every HMAC and the outbox sealer with a guessable secret.
    const stored = Buffer.from(readFileSync(file, "utf8").trim());
    if (stored.length < 32)
      throw new ConfigError(`${file} holds fewer than 32 bytes; delete it to generate a new secret`);
    return stored;
  }
  const generated = randomBytes(32).toString("base64url");
  writeFileSync(file, `${generated}\n`, { mode: 0o600 });
  return Buffer.from(generated);
}

function isLoopbackOrigin(origin: string): boolean {
  return ["localhost", "127.0.0.1", "[::1]"].includes(new URL(origin).hostname);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const production = env.NODE_ENV === "production";
  const port = positiveInt(env, "PORT", 3000);
  const appUrl = originOf(env.APP_URL || `http://localhost:${port}`, "APP_URL");
  const trustedOrigins = [
    appUrl,
    ...(env.TRUSTED_ORIGINS ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean)
      .map((o) => originOf(o, "TRUSTED_ORIGINS")),
  ];
  const dataDir = path.resolve(/* turbopackIgnore: true */ env.DATA_DIR || "./data");
  const smtpUrl = env.SMTP_URL || undefined;
  if (production && !smtpUrl) throw new ConfigError("SMTP_URL is required in production (no dev outbox there)");
  // Cookies, codes and passwords over plain http can be read on the wire; a local trial of production mode
  // (localhost) is the only exception.
  if (production && appUrl.startsWith("http:") && !isLoopbackOrigin(appUrl)) {
    throw new ConfigError(`APP_URL must be https in production (got ${appUrl}); only localhost may use http`);
  }
  // Before loadSecret, which may write a development secret: a refused configuration leaves nothing behind.
  const hashCost = passwordHashCost(env);
  const recovery = accountRecovery(env);
  const level = logLevel(env);
  const poolSize = databasePoolSize(env);
  const migrations = migrationsDir(env);
  const commonPasswordsFile = existingPath(env, "COMMON_PASSWORDS_FILE", DEFAULT_COMMON_PASSWORDS_FILE, "file");
  const secret = loadSecret(env, production, dataDir);
  // Refuses the SMS outbox in production, as SMTP_URL above refuses the email one: production has no dev channel.
  const sms = loadSmsConfig(env, production);
  return {
    production,
    port,
    host: env.HOST || undefined,
    appUrl,
    trustedOrigins,
    databaseUrl: env.DATABASE_URL || undefined,
    databasePoolSize: poolSize,
    migrationsDir: migrations,
    dataDir,
    secret,
    smtpUrl,
    emailFrom: env.EMAIL_FROM || `Twofold <no-reply@${new URL(appUrl).hostname}>`,
    redisUrl: env.REDIS_URL || undefined,
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
    sessionIdleTimeoutSeconds: positiveInt(env, "SESSION_IDLE_TIMEOUT_SECONDS", 7 * 24 * 3600),
    sessionAbsoluteTimeoutSeconds: positiveInt(env, "SESSION_ABSOLUTE_TIMEOUT_SECONDS", 30 * 24 * 3600),
    devOutbox: { email: !smtpUrl, sms: sms.provider === "outbox" },
    appName: env.APP_NAME || "Twofold",
    sms,
    outboxLeaseSeconds: positiveInt(env, "OUTBOX_LEASE_SECONDS", 600),
    commonPasswordsFile,
    passwordHashCost: hashCost,
    accountRecovery: recovery,
    logLevel: level,
    afterResponseJitterMs: env.AFTER_RESPONSE_JITTER_MS === "0" ? 0 : positiveInt(env, "AFTER_RESPONSE_JITTER_MS", 250),
    pwnedPasswords: ["1", "true"].includes(env.PWNED_PASSWORDS ?? "")
      ? {
          apiBase: env.PWNED_PASSWORDS_API || "https://api.pwnedpasswords.com",
          timeoutMs: positiveInt(env, "PWNED_PASSWORDS_TIMEOUT_MS", 2000),
        }
      : null,
  };
}
