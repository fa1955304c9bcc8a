import type { Repository } from "../../core/repository";
import type { Database } from "../client";
import { enqueueMessage } from "../outbox";
import { accountRecoveryStore } from "./account-recoveries";
import { avatarStore } from "./avatars";
import { challengeStore } from "./challenges";
import { oneTimeTokenStore } from "./one-time-tokens";
import { passkeyStore } from "./passkeys";
import { securityEventStore } from "./security-events";
import { sessionStore } from "./sessions";
import { signInThrottleStore } from "./sign-in-throttles";
import { recoveryCodeStore } from "./recovery-codes";
import { totpStore } from "./totp";
import { trustedBrowserStore } from "./trusted-browsers";
import { userStore } from "./users";

type Sealer = { seal(plain: string): Buffer };

/** The one Repository implementation, for node-postgres and PGlite alike: a store per table, on one connection. */
export function createRepository(db: Database, sealer: Sealer): Repository {
  return {
    // Every store is built again on the transaction's connection, so nothing in `work` escapes it.
    transaction: (work) => db.transaction((tx) => work(createRepository(tx as unknown as Database, sealer))),
    ...userStore(db),
    ...avatarStore(db),
    ...sessionStore(db),
    ...oneTimeTokenStore(db),
    ...challengeStore(db),
    ...passkeyStore(db),
    ...signInThrottleStore(db),
    ...securityEventStore(db),
    ...totpStore(db),
    ...recoveryCodeStore(db),
    ...trustedBrowserStore(db),
    ...accountRecoveryStore(db),
    enqueue: (message) => enqueueMessage(db, sealer, message),
  };
}
