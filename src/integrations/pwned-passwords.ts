import { createHash } from "node:crypto";
import type { Logger } from "pino";
import type { BreachedPasswordCheck } from "../core/deps";

export interface PwnedPasswordsOptions {
  apiBase: string;
  timeoutMs: number;
  logger: Logger;
}

/**
 * Have I Been Pwned's range API with k-anonymity: only the first 5 hex digits of the password's SHA-1 leave
 * the server, and `Add-Padding` makes every answer about the same size, so neither HIBP nor anyone watching the
 * wire learns which password was checked. The check is advisory: when the service is down or slow it answers
 * "unknown" and the password is judged by the shipped list alone (fail open, one warning line).
 */
export function pwnedPasswordsCheck(options: PwnedPasswordsOptions): BreachedPasswordCheck {
  return {
    async isBreached(password) {
      const digest = createHash("sha1").update(password.normalize("NFKC"), "utf8").digest("hex").toUpperCase();
      const prefix = digest.slice(0, 5);
      const suffix = digest.slice(5);
      try {
        const response = await fetch(`${options.apiBase.replace(/\/$/, "")}/range/${prefix}`, {
          headers: { "Add-Padding": "true", "User-Agent": "twofold-auth" },
          signal: AbortSignal.timeout(options.timeoutMs),
        });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        for (const line of (await response.text()).split("\n")) {
          const [candidate, count] = line.trim().split(":");
          // Padding entries have a count of 0: they are decoys, not breached passwords.
          if (candidate === suffix && Number(count) > 0) return true;
        }
        return false;
      } catch (error) {
        // The prefix is not logged: with the log line's time it would narrow down a user's password.
        options.logger.warn(
          { err: { message: (error as Error).message } },
          "breached-password check unavailable; accepted on the local list alone",
        );
        return null;
      }
    },
  };
}
