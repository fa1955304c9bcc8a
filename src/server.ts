import pino, { type Logger } from "pino";
import { loadConfig, type Config } from "./config";
import type { Deps } from "./core/deps";
import { openDatabase, type DatabaseHandle } from "./db/client";
import { outboxSealer } from "./db/outbox";
import { createRateLimiter } from "./db/rate-limiter";
import { purgeExpired } from "./db/maintenance";
import { createRepository } from "./db/repository";
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
  close(): Promise<void>;
}

export interface ServerOptions {
  env?: NodeJS.ProcessEnv;
  /** An already open database (tests share one per file); otherwise opened from the config. */
  database?: DatabaseHandle;
  logger?: Logger;
  now?: () => Date;
  /** Tests drive the worker themselves with drain(). */
  pollIntervalMs?: number;
}

export function createLogger(): Logger {
  return pino({
    level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === "test" ? "silent" : "info"),
    // Belt and braces: nothing we log should carry these, but if an object slips in, they are cut.
    redact: { paths: ["*.password", "*.token", "*.code", "*.cookie", "*.authorization", "req.headers"], censor: "[redacted]" },
  });
}

/** Builds the whole server from configuration: database (migrated), delivery worker, HTTP app. */
export async function createTwofoldServer(options: ServerOptions = {}): Promise<TwofoldServer> {
  const config = loadConfig(options.env ?? process.env);
  const logger = options.logger ?? createLogger();
  const database = options.database ?? (await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }));
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
  });
  const deps: Deps = {
    repo: createRepository(database.db, payloadSealer),
    config,
    limiter,
    sms: { codes: sms.codes, checkCode: sms.checkCode, deliverNow: (messageId) => worker.deliverNow(messageId) },
    now: options.now ?? (() => new Date()),
    messagesQueued: () => worker.notify(),
  };
  const app = createApp({ config, deps, db: database.db, logger, openSealed: (sealed) => payloadSealer.open(sealed) });
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
  logger.info({ database: database.kind, appUrl: config.appUrl, smtp: config.smtpUrl ? "smtp" : "dev outbox", sms: config.sms.provider }, "twofold ready");
  return {
    app,
    config,
    deps,
    database,
    worker,
    logger,
    async close() {
      clearInterval(purge);
      await worker.stop();
      redis?.disconnect();
      if (!options.database) await database.close();
    },
  };
}

// Next.js bundles route handlers and pages separately, and dev mode reloads modules: the instance lives on
// globalThis so one process opens the database once.
const globalKey = Symbol.for("twofold.server");
type GlobalWithServer = typeof globalThis & { [globalKey]?: Promise<TwofoldServer> };

export function getServer(): Promise<TwofoldServer> {
  const holder = globalThis as GlobalWithServer;
  holder[globalKey] ??= createTwofoldServer().catch((error) => {
    delete holder[globalKey];
    throw error;
  });
  return holder[globalKey]!;
}

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
  const hops = (header ?? "").split(",").map((hop) => hop.trim()).filter(Boolean);
  const remoteAddress = hops.pop();
  return { remoteAddress, forwardedFor: hops.length > 0 ? hops.join(", ") : "" };
}

