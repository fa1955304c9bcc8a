import { readFileSync } from "node:fs";
import { ConfigError } from "./config";

/**
 * The shipped list of common and breached passwords (NIST SP 800-63B 5.1.1.2 "blocklist"), one per line, `#` for
 * comments, lower-cased as passwordWeakness compares. Read once at start-up, outside core: the flows get the set
 * through Deps.commonPasswords and never touch the disk.
 */
export function loadCommonPasswords(file: string): ReadonlySet<string> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError(`COMMON_PASSWORDS_FILE (${file}) cannot be read: ${(error as Error).message}`);
  }
  const passwords = new Set(
    text
      .split(/\r?\n/)
      .filter((line) => line && !line.startsWith("#"))
      .map((line) => line.toLowerCase()),
  );
  // An empty list would silently switch the common-password check off.
  if (passwords.size === 0) throw new ConfigError(`COMMON_PASSWORDS_FILE (${file}) lists no passwords`);
  return passwords;
}
