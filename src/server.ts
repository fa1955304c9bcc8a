import { randomInt } from "node:crypto";
import pino, { type Logger } from "pino";
import { loadCommonPasswords } from "./common-passwords";
import { deliveryModes, loadConfig, type Config, type LogLevel } from "./config";
import type { Deps } from "./core/deps";
import { createPasswordHasher } from "./core/passwords";
import { isDatabaseUnavailable, openDatabase, type DatabaseHandle } from "./db/client";
import { outboxSealer } from "./db/outbox";
import { createRateLimiter } from "./db/rate-limiter";
import { purgeExpired } from "./db/maintenance";
import { createRepository } from "./db/repository";
import { pwnedPasswordsCheck } from "./integrations/pwned-passwords";
import { createSmsProvider } from "./delivery/sms/channel";
import { createEmailChannel, startOutboxWorker, type OutboxWorker } from "./delivery/worker";
import { createApp, type TwofoldApp } from "./http/app";
import type { HostBindings } from "./http/env";

export interface TwofoldServer {
  app: TwofoldApp;
  config: Config;
  deps: Deps;
  database: DatabaseHandle;
  worker: OutboxWorker;
  logger: Logger;
  /** Where each channel's messages go, in words (config.ts deliveryModes): for start-up logs. */
  deliveryModes: { email: string; sms: string };
  /** Resolves when every afterResponse task started so far has finished. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export interface ServerOptions {
  env?: NodeJS.ProcessEnv;
  /** Already read from `env` (getServer shares it with the pages through getConfig). */
  config?: Config;
  /** Create an embedded database that does not exist yet at the lowest CPU priority (db/client.ts initAtLowPriority). */
  databaseInitAtLowPriority?: boolean;
  /** An already open database (tests share one per file); otherwise opened from the config. */
  database?: DatabaseHandle;
  logger?: Logger;
  now?: () => Date;
  /** Tests drive the worker themselves with drain(). */
  pollIntervalMs?: number;
}

export function createLogger(level: LogLevel): Logger {
  return pino({
    level,
    // Belt and braces: nothing we log should carry these, but if an object slips in, they are cut.
    redact: {
      paths: ["*.password", "*.token", "*.code", "*.cookie", "*.authorization", "req.headers"],
      censor: "[redacted]",
    },
  });
}

/** Builds the whole server from configuration: database (migrated), delivery worker, HTTP app. */
export async function createTwofoldServer(options: ServerOptions = {}): Promise<TwofoldServer> {
  const config = options.config ?? loadConfig(options.env ?? process.env);
  const logger = options.logger ?? createLogger(config.logLevel);
  // Read before the database opens: an unreadable or empty list stops the start-up, not the first sign-up.
  const commonPasswords = loadCommonPasswords(config.commonPasswordsFile);
  const database =
    options.database ??
    (await openDatabase({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      poolSize: config.databasePoolSize,
      migrationsDir: config.migrationsDir,
      initAtLowPriority: options.databaseInitAtLowPriority,
    }));
  const payloadSealer = outboxSealer(config.secret);
  let redis: import("ioredis").Redis | undefined;
  if (config.redisUrl) {
    const { Redis } = await import("ioredis");
    redis = new Redis(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  }
  const limiter = createRateLimiter({ db: database.db, redis });
  const sms = createSmsProvider(config, logger);
  const worker = startOutboxWorker({
    db: database.db,
    config,
    logger,
    sealer: payloadSealer,
    emailChannel: createEmailChannel(config, logger),
    smsChannel: sms.channel,
    pollIntervalMs: options.pollIntervalMs,
    leaseMs: config.outboxLeaseSeconds * 1000,
  });
  const background = backgroundTasks(logger, config.afterResponseJitterMs);
  const deps: Deps = {
    repo: createRepository(database.db, payloadSealer),
    config,
    limiter,
    sms: { codes: sms.codes, checkCode: sms.checkCode, deliverNow: (messageId) => worker.deliverNow(messageId) },
    passwordHasher: createPasswordHasher(config.passwordHashCost),
    commonPasswords,
    breachedPasswords: config.pwnedPasswords ? pwnedPasswordsCheck({ ...config.pwnedPasswords, logger }) : undefined,
    now: options.now ?? (() => new Date()),
    afterResponse: background.run,
    messagesQueued: () => worker.notify(),
  };
  const app = createApp({
    config,
    deps,
    db: database.db,
    logger,
    openSealed: (sealed) => payloadSealer.open(sealed),
    settle: background.settle,
  });
  // Housekeeping every 10 minutes: spent rate-limit windows, dead sessions, spent links and challenges.
  const purge = setInterval(async () => {
    try {
      await limiter.purgeExpired();
      const purged = await purgeExpired(database.db, deps.now(), config.sessionIdleTimeoutSeconds);
      logger.info(purged, "purged expired rows");
    } catch (error) {
      logger.warn({ err: error }, "purge failed; will retry");
    }
  }, 10 * 60_000);
  purge.unref();
  // Says plainly where codes and links go: a dev outbox channel shows them at /dev/inbox (to this machine only).
  const modes = deliveryModes(config);
  logger.info({ database: database.kind, appUrl: config.appUrl, email: modes.email, sms: modes.sms }, "twofold ready");
  logger.info(`email: ${modes.email}`);
  logger.info(`sms: ${modes.sms}`);
  return {
    app,
    config,
    deps,
    database,
    worker,
    logger,
    deliveryModes: modes,
    settle: background.settle,
    async close() {
      clearInterval(purge);
      // Work promised by answers already sent (reset links, verification emails) is finished, not dropped.
      await background.settle();
      await worker.stop();
      redis?.disconnect();
      if (!options.database) await database.close();
    },
  };
}

/**
 * Deps.afterResponse: tasks start once the current answer is on its way. The answer already promised an email,
 * so a database outage is waited out (1 s, 2 s … 31 s in all) before the task is given up and logged.
 * A process killed in that gap loses the task, and the user has to ask again.
 */
function backgroundTasks(logger: Logger, jitterMs: number) {
  const pending = new Set<Promise<void>>();
  async function withRetries(task: () => Promise<void>) {
    for (let attempt = 0; ; attempt++) {
      try {
        return await task();
      } catch (error) {
        if (!isDatabaseUnavailable(error) || attempt >= 5) throw error;
        logger.warn({ attempt: attempt + 1 }, "background task: database unavailable; retrying");
        await new Promise((resolve) => setTimeout(resolve, 1000 * 2 ** attempt));
      }
    }
  }
  return {
    run(task: () => Promise<void>) {
      // A random start decorrelates the work from the request that follows this answer (see afterResponseJitterMs).
      const start = (resolve: () => void) =>
        jitterMs > 0 ? setTimeout(resolve, randomInt(jitterMs + 1)) : setImmediate(resolve);
      const running: Promise<void> = new Promise<void>(start)
        .then(() => withRetries(task))
        .catch((error: unknown) => logger.error({ err: error }, "background task failed"))
        .finally(() => pending.delete(running));
      pending.add(running);
    },
    async settle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}

// Next.js bundles route handlers and pages separately, and dev mode reloads modules: the instance lives on
// globalThis so one process opens the database once.
const globalKey = Symbol.for("twofold.server");
type GlobalWithServer = typeof globalThis & { [globalKey]?: Promise<TwofoldServer> };

/**
 * The environment as the user launched the process. scripts/server.mjs keeps a copy before Next.js starts: serving
 * a build, Next sets NODE_ENV=production in process.env, and `npm start` (a local build with the dev inbox) must
 * not be mistaken for a production deployment that lacks SMTP_URL and Twilio.
 */
const launchEnvKey = Symbol.for("twofold.launchEnv");

/** The environment the configuration is read from: as launched when scripts/server.mjs kept it, else process.env. */
export function launchEnv(): NodeJS.ProcessEnv {
  return (globalThis as { [launchEnvKey]?: NodeJS.ProcessEnv })[launchEnvKey] ?? process.env;
}

/**
 * The one server of this process, created by the first call (the options are that call's). scripts/server.mjs makes it
 * at launch, so the database opens beside the build of the pages or Next's own start-up.
 */
export function getServer(options: Pick<ServerOptions, "databaseInitAtLowPriority"> = {}): Promise<TwofoldServer> {
  const holder = globalThis as GlobalWithServer;
  holder[globalKey] ??= (async () => createTwofoldServer({ ...options, config: getConfig() }))().catch((error) => {
    delete holder[globalKey];
    throw error;
  });
  return holder[globalKey]!;
}

const configKey = Symbol.for("twofold.config");

/**
 * The configuration getServer uses, read once, without waiting for the database: a page that only needs to know
 * where messages go (the dev inbox link) renders while a first start is still creating the embedded database.
 * Throws what loadConfig throws; a later call reads the environment again.
 */
export function getConfig(): Config {
  const holder = globalThis as { [configKey]?: Config };
  holder[configKey] ??= loadConfig(launchEnv());
  return holder[configKey];
}

/**
 * scripts/server.mjs sets this flag: it appends the TCP peer to X-Forwarded-For on every request, so there the
 * last hop is the peer. Under plain `next dev`/`next start` a client's own header is kept, so its last hop may
 * be anything the client wrote.
 */
const peerAppendedKey = Symbol.for("twofold.peerAppended");

/**
 * Entry point for the Next.js route. The request has no socket here: the peer is the last X-Forwarded-For hop,
 * which scripts/server.mjs always appends (and Next itself sets when the header is absent). The hops before it
 * are believed only as far as TRUST_PROXY says.
 */
export async function handleApiRequest(req: Request): Promise<Response> {
  const { app } = await getServer();
  return app.fetch(req, hostBindingsFromForwardedFor(req.headers.get("x-forwarded-for")));
}

export function hostBindingsFromForwardedFor(header: string | null): HostBindings {
  const hops = (header ?? "")
    .split(",")
    .map((hop) => hop.trim())
    .filter(Boolean);
  const remoteAddress = hops.pop();
  const peerAppended = (globalThis as { [peerAppendedKey]?: boolean })[peerAppendedKey] === true;
  return {
    remoteAddress,
    forwardedFor: hops.length > 0 ? hops.join(", ") : "",
    ...(peerAppended ? {} : { peerUnverified: true }),
  };
}
