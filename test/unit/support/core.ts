import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import path from "node:path";
import { vi } from "vitest";
import { loadCommonPasswords } from "../../../src/common-passwords";
import { DEFAULT_COMMON_PASSWORDS_FILE } from "../../../src/config";
import type { Deps } from "../../../src/core/deps";
import { createPasswordHasher } from "../../../src/core/passwords";
import type { User } from "../../../src/core/types";
import type { DatabaseHandle } from "../../../src/db/client";
import { outboxSealer } from "../../../src/db/outbox";
import { createRateLimiter } from "../../../src/db/rate-limiter";
import { createRepository } from "../../../src/db/repository";
import { users } from "../../../src/db/schema";
import { pgliteDatabase } from "../../helpers/databases";

export const TEST_SECRET = Buffer.from("unit-test-secret-unit-test-secret-0123456789");
export const DAY_SECONDS = 24 * 3600;
/**
 * Loading the migrated PGlite template (test/helpers/global-setup.ts): well under a second alone, more on a busy
 * machine.
 */
export const PGLITE_OPEN_TIMEOUT_MS = 30_000;

/** A clock that only moves when told to, so expiry tests are exact. */
export function manualClock(start = new Date("2030-01-01T00:00:00.000Z")) {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    advanceSeconds(seconds: number) {
      current += seconds * 1000;
    },
    set(date: Date) {
      current = date.getTime();
    },
  };
}

export interface CoreHarness {
  handle: DatabaseHandle;
  deps: Deps;
  clock: ReturnType<typeof manualClock>;
  messagesQueued: ReturnType<typeof vi.fn>;
  limiter: ReturnType<typeof createRateLimiter>;
}

/** One in-memory PGlite copied from the migrated template, the real repository and rate limiter, and a manual clock. */
export async function openCoreHarness(): Promise<CoreHarness> {
  const handle = await pgliteDatabase.open();
  const clock = manualClock();
  const messagesQueued = vi.fn();
  const limiter = createRateLimiter({ db: handle.db });
  const deps: Deps = {
    repo: createRepository(handle.db, outboxSealer(TEST_SECRET)),
    config: {
      appName: "Twofold",
      appUrl: "http://localhost:3000",
      secret: TEST_SECRET,
      sessionIdleTimeoutSeconds: 7 * DAY_SECONDS,
      sessionAbsoluteTimeoutSeconds: 30 * DAY_SECONDS,
      sms: { allowedCountries: null, globalHourlyLimit: 200 },
      accountRecovery: "off",
    },
    limiter,
    // Codes made here; delivery is the worker's business (tested in integration), so messages stay queued.
    sms: { codes: "local", deliverNow: async () => ({ ok: true }), checkCode: async () => false },
    // The cheapest argon2id: these tests check the flows, not the hash's strength (test/unit/passwords.test.ts does).
    passwordHasher: createPasswordHasher("test"),
    commonPasswords: loadCommonPasswords(path.resolve(DEFAULT_COMMON_PASSWORDS_FILE)),
    now: clock.now,
    // Started at once; no unit test calls a flow that defers work, so nothing waits for it.
    afterResponse: (task) => void task(),
    messagesQueued,
  };
  return { handle, deps, clock, messagesQueued, limiter };
}

let counter = 0;
export function uniqueEmail(label = "user"): string {
  return `${label}-${(counter++).toString(36)}-${randomBytes(4).toString("hex")}@example.com`;
}

/** A user row straight through the repository (the hash is a placeholder: these tests never check it). */
export async function insertUser(
  deps: Deps,
  overrides: { email?: string; name?: string; passwordHash?: string } = {},
): Promise<User> {
  const user = await deps.repo.createUser({
    id: randomBytes(16).toString("base64url"),
    email: overrides.email ?? uniqueEmail(),
    name: overrides.name ?? "Ada Lovelace",
    passwordHash: overrides.passwordHash ?? "$argon2id$placeholder",
  });
  if (!user) throw new Error("createUser returned null");
  return user;
}

/** Sets columns no flow writes yet (phone, 2FA), directly in the database. */
export async function updateUserRow(
  handle: DatabaseHandle,
  userId: string,
  values: Partial<typeof users.$inferInsert>,
): Promise<User> {
  const [row] = await handle.db.update(users).set(values).where(eq(users.id, userId)).returning();
  if (!row) throw new Error("no such user");
  return row;
}
