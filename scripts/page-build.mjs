// What `npm start` (scripts/server.mjs) and the browser tests (test/e2e/global-setup.ts) share about building the
// pages: which files a build is made from, a stamp of them, and undoing `next build`'s edit of tsconfig.json.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";

/** What a build is made from: a change to any of these makes the next start or test run build again. */
export const buildInputs = ["app", "src", "proxy.ts", "next.config.ts", "package-lock.json", "tsconfig.json"];

/** A hash of every build input's path and content (a few hundred small files: milliseconds). */
export function sourceStamp(root) {
  const hash = createHash("sha256");
  const add = (relative) => {
    const full = path.join(root, relative);
    if (!existsSync(full)) return;
    if (!statSync(full).isDirectory()) {
      hash.update(relative).update("\0").update(readFileSync(full));
      return;
    }
    const entries = readdirSync(full, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) if (entry.isDirectory() || entry.isFile()) add(path.join(relative, entry.name));
  };
  for (const input of buildInputs) add(input);
  return hash.digest("hex");
}

/**
 * `next build` lists its dist dir's types in tsconfig.json's include: an artefact of the build, not a change anyone
 * made, so it is undone (only when nothing else changed the file since `before`).
 */
export function restoreTsconfig(root, distDir, before) {
  const file = path.join(root, "tsconfig.json");
  const now = readFileSync(file, "utf8");
  if (now === before) return;
  const ours = new RegExp(
    `,\\s*"${distDir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/(?:dev/)?types/\\*\\*/\\*\\.ts"`,
    "g",
  );
  if (now.replace(ours, "") === before) writeFileSync(file, before);
}
