// What `npm start` (scripts/server.mjs) and the browser tests (test/e2e/global-setup.ts) share about building the
// pages: which files a build is made from, a stamp of them, running `next build` and undoing its edit of tsconfig.json.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, existsSync, openSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";

/** What a build is made from: a change to any of these makes the next start or test run build again. */
export const buildInputs = ["app", "src", "next.config.ts", "package-lock.json", "tsconfig.json"];

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

/** Whether `distDir` holds a build made from the sources as they are now (`stamp`, written by buildPages). */
export function isBuiltFrom(root, distDir, stampName, stamp) {
  const stampFile = path.join(root, distDir, stampName);
  return existsSync(stampFile) && readFileSync(stampFile, "utf8") === stamp;
}

/**
 * `next build` into `distDir`, in a child process so the compiler's memory goes back to the system when it is done;
 * then tsconfig.json as it was, and the stamp that isBuiltFrom reads. Its output goes to `logFile` when given, else
 * its last lines go into the error when it fails.
 *
 * `compileOnly` (`npm start`'s build) stops after the compiler (`--experimental-build-mode compile`): no worker that
 * loads every route to read its settings, and no prerendering. Every Twofold page renders per request anyway (a CSP
 * nonce each); the 404 page, the error page and the icon are then rendered on their first request instead of at
 * build time. The compiled scripts are the same, byte for byte; the build takes 0.6 to 2.6 s less on 2 cores (four
 * pairs of runs). Next.js calls the mode experimental, so only `npm start` uses it: `npm run build` (production, and
 * the browser tests) makes the full build, and test/e2e/first-start.test.ts checks this one.
 */
export function buildPages(root, distDir, { env, stampName, stamp, logFile, compileOnly = false }) {
  const tsconfigBefore = readFileSync(path.join(root, "tsconfig.json"), "utf8");
  const logFd = logFile ? openSync(logFile, "w") : undefined;
  return new Promise((resolve, reject) => {
    let output = "";
    const child = spawn(
      process.execPath,
      [
        path.join(root, "node_modules/next/dist/bin/next"),
        "build",
        ...(compileOnly ? ["--experimental-build-mode", "compile"] : []),
      ],
      {
        cwd: root,
        env: { ...env, NODE_ENV: "production", NEXT_DIST_DIR: distDir },
        stdio: ["ignore", logFd ?? "pipe", logFd ?? "pipe"],
      },
    );
    const keep = (chunk) => {
      output = (output + chunk.toString()).slice(-20_000);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    const closeLog = () => logFd !== undefined && closeSync(logFd);
    child.on("error", (error) => {
      closeLog();
      reject(error);
    });
    child.on("exit", (code) => {
      closeLog();
      restoreTsconfig(root, distDir, tsconfigBefore);
      if (code !== 0)
        return reject(
          new Error(
            `next build failed (exit ${code})${logFile ? ` (see ${path.relative(root, logFile)})` : ""}:\n${output}`,
          ),
        );
      writeFileSync(path.join(root, distDir, stampName), stamp);
      resolve();
    });
  });
}
