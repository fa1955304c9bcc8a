import type { Logger } from "pino";
import type { Config } from "../config";
import type { Deps } from "../core/deps";
import type { Session, User } from "../core/types";
import type { Database } from "../db/client";

/** What every route can reach: resolved once at start-up. */
export interface AppServices {
  config: Config;
  deps: Deps;
  db: Database;
  logger: Logger;
  /** Decrypts outbox payloads for the dev inbox. */
  openSealed(sealed: Buffer): string;
  /** Waits for work queued by answers already sent (Deps.afterResponse). */
  settle(): Promise<void>;
}

export interface Auth {
  session: Session;
  user: User;
  /** Cookie-authenticated requests are the ones CSRF applies to. */
  via: "cookie" | "bearer";
}

/** Bindings passed by the host (Next route or node-server) alongside the Request. */
export interface HostBindings {
  /** The TCP peer as the host saw it. */
  remoteAddress?: string;
  /** The X-Forwarded-For hops before the peer, when the host has split them off the header itself. */
  forwardedFor?: string;
  /**
   * True when remoteAddress was read from a header the client could have written itself (Next.js run without
   * scripts/server.mjs keeps a client's own X-Forwarded-For): good enough as a rate-limit key, never proof
   * that the peer is on this machine (see loopbackPeer in middleware/client-ip.ts).
   */
  peerUnverified?: boolean;
}

export type AppEnv = {
  Bindings: HostBindings;
  Variables: {
    services: AppServices;
    clientIp: string;
    auth: Auth | null;
  };
};
