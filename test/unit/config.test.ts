import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, deliveryModes, devOutboxChannels, listenHost, loadConfig } from "../../src/config";

const SECRET = "a-config-test-secret-of-enough-length-0123";
const temporaryDirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "twofold-config-"));
  temporaryDirs.push(dir);
  return dir;
}

type Env = Record<string, string | undefined>;

/** A minimal development environment; never reads the real process.env or writes ./data. */
function env(overrides: Env = {}): Env {
  return { NODE_ENV: "development", SECRET, DATA_DIR: tempDir(), ...overrides };
}

/** loadConfig with a plain record (Next.js's types make NODE_ENV mandatory on ProcessEnv). */
function load(vars: Env) {
  return loadConfig(vars as NodeJS.ProcessEnv);
}

afterEach(() => {
  for (const dir of temporaryDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("loadConfig defaults", () => {
  it("serves on 3000 at http://localhost:3000 with 7-day idle and 30-day absolute sessions", () => {
    const config = load(env());
    expect(config.port).toBe(3000);
    expect(config.appUrl).toBe("http://localhost:3000");
    expect(config.trustedOrigins).toEqual(["http://localhost:3000"]);
    expect(config.sessionIdleTimeoutSeconds).toBe(7 * 24 * 3600);
    expect(config.sessionAbsoluteTimeoutSeconds).toBe(30 * 24 * 3600);
    expect(config.trustProxy).toEqual({ kind: "none" });
    expect(config.production).toBe(false);
    expect(config.devOutbox).toEqual({ email: true, sms: true });
    expect(config.host).toBeUndefined();
    expect(config.appName).toBe("Twofold");
    expect(config.emailFrom).toBe("Twofold <no-reply@localhost>");
    expect(config.databaseUrl).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
  });

  it("derives the default APP_URL from PORT", () => {
    expect(load(env({ PORT: "4100" })).appUrl).toBe("http://localhost:4100");
  });

  it("treats empty variables as unset", () => {
    const config = load(env({ PORT: "", APP_URL: "", DATABASE_URL: "", SMTP_URL: "", TRUST_PROXY: "" }));
    expect(config.port).toBe(3000);
    expect(config.appUrl).toBe("http://localhost:3000");
    expect(config.databaseUrl).toBeUndefined();
    expect(config.smtpUrl).toBeUndefined();
  });

  it("reads session timeouts", () => {
    const config = load(env({ SESSION_IDLE_TIMEOUT_SECONDS: "600", SESSION_ABSOLUTE_TIMEOUT_SECONDS: "3600" }));
    expect(config.sessionIdleTimeoutSeconds).toBe(600);
    expect(config.sessionAbsoluteTimeoutSeconds).toBe(3600);
  });
});

describe("APP_URL and TRUSTED_ORIGINS", () => {
  it("keeps an https APP_URL as its origin", () => {
    const config = load(env({ APP_URL: "https://auth.example.com" }));
    expect(config.appUrl).toBe("https://auth.example.com");
    expect(config.trustedOrigins).toEqual(["https://auth.example.com"]);
    expect(config.emailFrom).toBe("Twofold <no-reply@auth.example.com>");
  });

  it("reduces APP_URL to an origin (no trailing slash, default port dropped)", () => {
    expect(load(env({ APP_URL: "https://auth.example.com:443/" })).appUrl).toBe("https://auth.example.com");
    expect(load(env({ APP_URL: "https://Auth.Example.com:8443" })).appUrl).toBe("https://auth.example.com:8443");
  });

  it("throws on a relative or garbage APP_URL", () => {
    expect(() => load(env({ APP_URL: "auth.example.com" }))).toThrow(ConfigError);
    expect(() => load(env({ APP_URL: "not a url" }))).toThrow(/APP_URL/);
  });

  it("parses TRUSTED_ORIGINS as a comma-separated list after APP_URL", () => {
    const config = load(
      env({
        APP_URL: "https://auth.example.com",
        TRUSTED_ORIGINS: " https://app.example.com , http://localhost:5173/,, ",
      }),
    );
    expect(config.trustedOrigins).toEqual([
      "https://auth.example.com",
      "https://app.example.com",
      "http://localhost:5173",
    ]);
  });

  it("throws on an invalid trusted origin", () => {
    expect(() => load(env({ TRUSTED_ORIGINS: "https://ok.example.com,nope" }))).toThrow(/TRUSTED_ORIGINS/);
  });
});

describe("TRUST_PROXY", () => {
  it.each([
    [undefined, { kind: "none" }],
    ["", { kind: "none" }],
    ["0", { kind: "none" }],
    ["false", { kind: "none" }],
    ["true", { kind: "hops", hops: 1 }],
    ["1", { kind: "hops", hops: 1 }],
    ["2", { kind: "hops", hops: 2 }],
    ["10.0.0.0/8", { kind: "cidrs", cidrs: ["10.0.0.0/8"] }],
    [" 10.0.0.0/8 , 192.168.1.5,, ", { kind: "cidrs", cidrs: ["10.0.0.0/8", "192.168.1.5"] }],
  ])("parses %j", (raw, expected) => {
    expect(load(env({ TRUST_PROXY: raw })).trustProxy).toEqual(expected);
  });
});

describe("invalid numbers throw at start-up", () => {
  it.each(["abc", "0", "-1", "3.5", "3000abc", "1e3x", " "])("PORT=%j", (port) => {
    expect(() => load(env({ PORT: port }))).toThrow(ConfigError);
    expect(() => load(env({ PORT: port }))).toThrow(/PORT/);
  });

  it("session timeouts must be positive integers", () => {
    expect(() => load(env({ SESSION_IDLE_TIMEOUT_SECONDS: "0" }))).toThrow(/SESSION_IDLE_TIMEOUT_SECONDS/);
    expect(() => load(env({ SESSION_ABSOLUTE_TIMEOUT_SECONDS: "1.5" }))).toThrow(/SESSION_ABSOLUTE_TIMEOUT_SECONDS/);
  });
});

describe("SECRET", () => {
  it("uses the given SECRET as bytes", () => {
    expect(load(env()).secret.equals(Buffer.from(SECRET))).toBe(true);
  });

  it("throws in production without SECRET", () => {
    expect(() => load({ NODE_ENV: "production", SMTP_URL: "smtp://mail:25", DATA_DIR: tempDir() })).toThrow(
      ConfigError,
    );
    expect(() => load({ NODE_ENV: "production", SMTP_URL: "smtp://mail:25", DATA_DIR: tempDir() })).toThrow(
      /SECRET is required/,
    );
  });

  it("does not write a secret file in production", () => {
    const dir = tempDir();
    expect(() => load({ NODE_ENV: "production", SMTP_URL: "smtp://mail:25", DATA_DIR: dir })).toThrow();
    expect(existsSync(path.join(dir, "secret"))).toBe(false);
  });

  it("throws on a SECRET shorter than 32 bytes, in any environment", () => {
    expect(() => load(env({ SECRET: "x".repeat(31) }))).toThrow(/at least 32 bytes/);
    expect(() =>
      load({ NODE_ENV: "production", SMTP_URL: "smtp://mail:25", SECRET: "short", DATA_DIR: tempDir() }),
    ).toThrow(ConfigError);
    expect(load(env({ SECRET: "x".repeat(32) })).secret).toHaveLength(32);
  });

  it("counts the SECRET's length in bytes", () => {
    // 16 two-byte characters are 32 bytes.
    expect(load(env({ SECRET: "é".repeat(16) })).secret).toHaveLength(32);
  });

  it("requires an https APP_URL in production, except on localhost", () => {
    const twilio = {
      TWILIO_ACCOUNT_SID: "AC00000000000000000000000000000000",
      TWILIO_AUTH_TOKEN: "token",
      TWILIO_FROM: "+15005550006",
    };
    const base = { NODE_ENV: "production", SECRET, SMTP_URL: "smtp://mail:25", DATA_DIR: tempDir(), ...twilio };
    expect(() => load({ ...base, APP_URL: "http://auth.example.com" })).toThrow(/APP_URL must be https/);
    expect(load({ ...base, APP_URL: "https://auth.example.com" }).appUrl).toBe("https://auth.example.com");
    expect(load({ ...base, APP_URL: "http://localhost:3000" }).appUrl).toBe("http://localhost:3000");
  });

  it("requires SMTP_URL in production", () => {
    expect(() => load({ NODE_ENV: "production", SECRET, DATA_DIR: tempDir() })).toThrow(/SMTP_URL/);
    const twilio = {
      TWILIO_ACCOUNT_SID: "AC00000000000000000000000000000000",
      TWILIO_AUTH_TOKEN: "token",
      TWILIO_FROM: "+15005550006",
    };
    const config = load({ NODE_ENV: "production", SECRET, SMTP_URL: "smtp://mail:25", DATA_DIR: tempDir(), ...twilio });
    expect(config.production).toBe(true);
    expect(config.devOutbox).toEqual({ email: false, sms: false });
  });

  it("generates a development secret into DATA_DIR once, then reuses it", () => {
    const dir = path.join(tempDir(), "nested", "data");
    const first = load({ NODE_ENV: "development", DATA_DIR: dir });
    const file = path.join(dir, "secret");
    expect(existsSync(file)).toBe(true);
    expect(first.secret.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(file, "utf8").trim()).toBe(first.secret.toString());
    // Only the owner can read it.
    if (process.platform !== "win32") expect(statSync(file).mode & 0o077).toBe(0);

    const second = load({ NODE_ENV: "development", DATA_DIR: dir });
    expect(second.secret.equals(first.secret)).toBe(true);
    expect(readFileSync(file, "utf8").trim()).toBe(first.secret.toString());
  });

  it("refuses a stored development secret that is empty or short instead of keying HMACs with it", () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, "secret"), "\n");
    expect(() => load({ NODE_ENV: "development", DATA_DIR: dir })).toThrow(ConfigError);
    writeFileSync(path.join(dir, "secret"), "too-short\n");
    expect(() => load({ NODE_ENV: "development", DATA_DIR: dir })).toThrow(/fewer than 32 bytes/);
  });

  it("generates a different secret for a different DATA_DIR", () => {
    const a = load({ NODE_ENV: "development", DATA_DIR: tempDir() });
    const b = load({ NODE_ENV: "development", DATA_DIR: tempDir() });
    expect(a.secret.equals(b.secret)).toBe(false);
  });

  it("resolves DATA_DIR to an absolute path", () => {
    const dir = tempDir();
    expect(path.isAbsolute(load(env({ DATA_DIR: dir })).dataDir)).toBe(true);
  });
});

describe("SMS configuration", () => {
  const twilio = { TWILIO_ACCOUNT_SID: "AC00000000000000000000000000000000", TWILIO_AUTH_TOKEN: "token" };

  it("uses the dev outbox without Twilio variables, and Twilio when they are set", () => {
    expect(load({ DATA_DIR: tempDir() }).sms.provider).toBe("outbox");
    expect(load({ DATA_DIR: tempDir(), ...twilio, TWILIO_FROM: "+15005550006" }).sms.provider).toBe("twilio");
  });

  it("refuses incomplete provider settings at start-up", () => {
    expect(() => load({ DATA_DIR: tempDir(), ...twilio })).toThrow(/TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID/);
    expect(() => load({ DATA_DIR: tempDir(), ...twilio, SMS_PROVIDER: "twilio-verify" })).toThrow(
      /TWILIO_VERIFY_SERVICE_SID/,
    );
    expect(() => load({ DATA_DIR: tempDir(), SMS_PROVIDER: "twilio" })).toThrow(/TWILIO_ACCOUNT_SID/);
    expect(() => load({ DATA_DIR: tempDir(), SMS_PROVIDER: "carrier-pigeon" })).toThrow(/SMS_PROVIDER/);
  });

  it("refuses the dev outbox in production", () => {
    expect(() => load({ NODE_ENV: "production", SECRET, SMTP_URL: "smtp://mail:25", DATA_DIR: tempDir() })).toThrow(
      /real SMS/,
    );
  });

  it("parses the country allow-list and the global hourly budget", () => {
    const config = load({ DATA_DIR: tempDir(), SMS_ALLOWED_COUNTRIES: "us, ca,GB", SMS_GLOBAL_HOURLY_LIMIT: "50" });
    expect(config.sms.allowedCountries).toEqual(["US", "CA", "GB"]);
    expect(config.sms.globalHourlyLimit).toBe(50);
    expect(load({ DATA_DIR: tempDir() }).sms).toMatchObject({ allowedCountries: null, globalHourlyLimit: 200 });
    expect(() => load({ DATA_DIR: tempDir(), SMS_ALLOWED_COUNTRIES: "USA" })).toThrow(/SMS_ALLOWED_COUNTRIES/);
  });

  it("reads the Twilio timeout and the outbox lease, positive integers with defaults of 10 s and 10 minutes", () => {
    const twilio = {
      TWILIO_ACCOUNT_SID: `AC${"0".repeat(32)}`,
      TWILIO_AUTH_TOKEN: "token",
      TWILIO_FROM: "+15005550006",
    };
    expect(load(env(twilio))).toMatchObject({ outboxLeaseSeconds: 600, sms: { twilio: { timeoutMs: 10_000 } } });
    expect(load(env({ ...twilio, TWILIO_TIMEOUT_MS: "2500", OUTBOX_LEASE_SECONDS: "30" }))).toMatchObject({
      outboxLeaseSeconds: 30,
      sms: { twilio: { timeoutMs: 2500 } },
    });
    expect(() => load(env({ ...twilio, TWILIO_TIMEOUT_MS: "0" }))).toThrow(/TWILIO_TIMEOUT_MS/);
    expect(() => load(env({ OUTBOX_LEASE_SECONDS: "ten" }))).toThrow(/OUTBOX_LEASE_SECONDS/);
  });
});

describe("dev outbox per channel, whatever NODE_ENV says", () => {
  const twilio = {
    TWILIO_ACCOUNT_SID: "AC00000000000000000000000000000000",
    TWILIO_AUTH_TOKEN: "token",
    TWILIO_FROM: "+15005550006",
  };

  it.each([
    ["development", {}, { email: true, sms: true }],
    [undefined, {}, { email: true, sms: true }],
    [undefined, { SMTP_URL: "smtp://mail.example.com" }, { email: false, sms: true }],
    ["development", twilio, { email: true, sms: false }],
    // The pen test's case: `npm run api` with both providers set and NODE_ENV unset served every code.
    [undefined, { SMTP_URL: "smtps://user:pass@smtp.example.com", ...twilio }, { email: false, sms: false }],
    ["test", { SMTP_URL: "smtp://mail:25", ...twilio, SMS_PROVIDER: "outbox" }, { email: false, sms: true }],
  ])("NODE_ENV=%s with %j → %j", (nodeEnv, vars, expected) => {
    const config = load({ ...env(vars), NODE_ENV: nodeEnv });
    expect(config.devOutbox).toEqual(expected);
    expect(devOutboxChannels(config)).toEqual((["email", "sms"] as const).filter((channel) => expected[channel]));
  });

  it("never has a dev channel in production (it refuses to start instead)", () => {
    const base = { NODE_ENV: "production", SECRET, DATA_DIR: tempDir() };
    expect(() => load({ ...base, ...twilio })).toThrow(/SMTP_URL/);
    expect(() => load({ ...base, SMTP_URL: "smtp://mail:25" })).toThrow(/SMS|Twilio/i);
    expect(() => load({ ...base, SMTP_URL: "smtp://mail:25", ...twilio, SMS_PROVIDER: "outbox" })).toThrow(
      /SMS|Twilio/i,
    );
    expect(load({ ...base, SMTP_URL: "smtp://mail:25", ...twilio }).devOutbox).toEqual({ email: false, sms: false });
  });

  it("listens on loopback while a channel is dev, unless HOST says otherwise; everywhere otherwise", () => {
    expect(listenHost(load(env()))).toBe("127.0.0.1");
    expect(listenHost(load(env({ SMTP_URL: "smtp://mail:25" })))).toBe("127.0.0.1");
    expect(listenHost(load(env({ HOST: "0.0.0.0" })))).toBe("0.0.0.0");
    expect(listenHost(load(env({ HOST: "" })))).toBe("127.0.0.1");
    expect(listenHost(load(env({ SMTP_URL: "smtp://mail:25", ...twilio })))).toBeUndefined();
    expect(listenHost(load(env({ SMTP_URL: "smtp://mail:25", ...twilio, HOST: "10.0.0.5" })))).toBe("10.0.0.5");
  });

  it("describes each channel's mode for the start-up log, without the SMTP credentials", () => {
    expect(deliveryModes(load(env()))).toEqual({
      email: "dev outbox (http://localhost:3000/dev/inbox, GET /api/dev/outbox; to this machine only)",
      sms: "dev outbox (http://localhost:3000/dev/inbox, GET /api/dev/outbox; to this machine only)",
    });
    const real = deliveryModes(load(env({ SMTP_URL: "smtps://user:hunter2@smtp.example.com:465", ...twilio })));
    expect(real).toEqual({ email: "SMTP smtp.example.com:465", sms: "twilio" });
    expect(JSON.stringify(real)).not.toMatch(/hunter2|user/);
    expect(
      deliveryModes(load(env({ ...twilio, SMS_PROVIDER: "twilio-verify", TWILIO_VERIFY_SERVICE_SID: "VA0" }))).sms,
    ).toBe("twilio-verify");
  });
});

describe("PASSWORD_HASH_COST", () => {
  const twilio = {
    TWILIO_ACCOUNT_SID: "AC00000000000000000000000000000000",
    TWILIO_AUTH_TOKEN: "token",
    TWILIO_FROM: "+15005550006",
  };
  const production = () => ({
    NODE_ENV: "production",
    SECRET,
    SMTP_URL: "smtp://mail:25",
    DATA_DIR: tempDir(),
    ...twilio,
  });

  it("defaults to standard (OWASP) in every environment; empty counts as unset", () => {
    expect(load(env()).passwordHashCost).toBe("standard");
    expect(load(env({ NODE_ENV: "test" })).passwordHashCost).toBe("standard");
    expect(load(env({ PASSWORD_HASH_COST: "" })).passwordHashCost).toBe("standard");
    expect(load(production()).passwordHashCost).toBe("standard");
    expect(load({ ...production(), PASSWORD_HASH_COST: "standard" }).passwordHashCost).toBe("standard");
  });

  it("accepts test under NODE_ENV=test", () => {
    expect(load(env({ NODE_ENV: "test", PASSWORD_HASH_COST: "test" })).passwordHashCost).toBe("test");
  });

  it.each([["production"], ["development"], [undefined], [""], ["TEST"], ["testing"], [" test"]])(
    "refuses test under NODE_ENV=%j",
    (nodeEnv) => {
      const vars = nodeEnv === "production" ? production() : env();
      expect(() => load({ ...vars, NODE_ENV: nodeEnv, PASSWORD_HASH_COST: "test" })).toThrow(ConfigError);
      expect(() => load({ ...vars, NODE_ENV: nodeEnv, PASSWORD_HASH_COST: "test" })).toThrow(
        /PASSWORD_HASH_COST=test is for test runs only \(NODE_ENV=test\)/,
      );
    },
  );

  it("refuses before writing a development secret", () => {
    const dir = tempDir();
    expect(() => load({ NODE_ENV: "development", DATA_DIR: dir, PASSWORD_HASH_COST: "test" })).toThrow(
      /PASSWORD_HASH_COST/,
    );
    expect(existsSync(path.join(dir, "secret"))).toBe(false);
  });

  it.each(["cheap", "Standard", "TEST", "fast", "0"])("refuses the unknown value %j", (cost) => {
    expect(() => load(env({ NODE_ENV: "test", PASSWORD_HASH_COST: cost }))).toThrow(
      /PASSWORD_HASH_COST must be standard or test/,
    );
  });
});

describe("DATABASE_POOL_SIZE", () => {
  it("defaults to 10 and reads a positive integer up to 100", () => {
    expect(load(env()).databasePoolSize).toBe(10);
    expect(load(env({ DATABASE_POOL_SIZE: "" })).databasePoolSize).toBe(10);
    expect(load(env({ DATABASE_POOL_SIZE: "1" })).databasePoolSize).toBe(1);
    expect(load(env({ DATABASE_POOL_SIZE: "100" })).databasePoolSize).toBe(100);
  });

  it.each(["0", "-3", "2.5", "ten", "10x"])("refuses %j", (size) => {
    expect(() => load(env({ DATABASE_POOL_SIZE: size }))).toThrow(ConfigError);
    expect(() => load(env({ DATABASE_POOL_SIZE: size }))).toThrow(/DATABASE_POOL_SIZE must be a positive integer/);
  });

  it("refuses a pool above PostgreSQL's default max_connections", () => {
    expect(() => load(env({ DATABASE_POOL_SIZE: "101" }))).toThrow(/DATABASE_POOL_SIZE must be at most 100/);
  });
});

describe("LOG_LEVEL", () => {
  it("defaults to info, and to silent under NODE_ENV=test", () => {
    expect(load(env()).logLevel).toBe("info");
    expect(load(env({ NODE_ENV: "test" })).logLevel).toBe("silent");
    expect(load(env({ NODE_ENV: "test", LOG_LEVEL: "" })).logLevel).toBe("silent");
  });

  it.each(["fatal", "error", "warn", "info", "debug", "trace", "silent"])("accepts pino's level %s", (level) => {
    expect(load(env({ LOG_LEVEL: level })).logLevel).toBe(level);
  });

  it.each(["verbose", "INFO", "warning", "30"])("refuses %j", (level) => {
    expect(() => load(env({ LOG_LEVEL: level }))).toThrow(ConfigError);
    expect(() => load(env({ LOG_LEVEL: level }))).toThrow(
      /LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent/,
    );
  });
});

describe("MIGRATIONS_DIR and COMMON_PASSWORDS_FILE", () => {
  it("default to the project's own, as absolute paths", () => {
    const config = load(env());
    expect(config.migrationsDir).toBe(path.resolve("src/db/migrations"));
    expect(config.commonPasswordsFile).toBe(path.resolve("src/core/data/common-passwords.txt"));
  });

  it("accept an existing migrations directory and list file, resolved to absolute paths", () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, "meta"));
    writeFileSync(path.join(dir, "meta", "_journal.json"), "{}");
    writeFileSync(path.join(dir, "list.txt"), "password\n");
    const config = load(env({ MIGRATIONS_DIR: dir, COMMON_PASSWORDS_FILE: path.join(dir, "list.txt") }));
    expect(config.migrationsDir).toBe(dir);
    expect(config.commonPasswordsFile).toBe(path.join(dir, "list.txt"));
    expect(load(env({ MIGRATIONS_DIR: "./src/db/migrations" })).migrationsDir).toBe(path.resolve("src/db/migrations"));
  });

  it("refuse a migrations directory that is missing, a file, or holds no drizzle journal", () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, "file.sql"), "");
    expect(() => load(env({ MIGRATIONS_DIR: path.join(dir, "missing") }))).toThrow(
      /MIGRATIONS_DIR must name an existing directory/,
    );
    expect(() => load(env({ MIGRATIONS_DIR: path.join(dir, "file.sql") }))).toThrow(
      /MIGRATIONS_DIR must name an existing directory/,
    );
    expect(() => load(env({ MIGRATIONS_DIR: dir }))).toThrow(/MIGRATIONS_DIR .* holds no drizzle migrations/);
  });

  it("refuse a common-password list that is missing or a directory", () => {
    const dir = tempDir();
    expect(() => load(env({ COMMON_PASSWORDS_FILE: path.join(dir, "missing.txt") }))).toThrow(ConfigError);
    expect(() => load(env({ COMMON_PASSWORDS_FILE: path.join(dir, "missing.txt") }))).toThrow(
      /COMMON_PASSWORDS_FILE must name an existing file/,
    );
    expect(() => load(env({ COMMON_PASSWORDS_FILE: dir }))).toThrow(/COMMON_PASSWORDS_FILE must name an existing file/);
  });
});
