// Starts one Twofold server for the browser tests: a production build of the pages (made by `next build` into
// `.next-e2e`, and made again only when the sources changed since the last one), served by scripts/server.mjs
// with NODE_ENV=test so the dev inbox stays on; a free port and a fresh data directory (so rate limits and
// accounts start empty). A built app serves each page at once, where `next dev` compiled it on first request and
// sent every page several times the script; it is also the policy production sends (no 'unsafe-eval').
// The base URL reaches the tests through `inject("baseURL")`.
//
// E2E_BASE_URL=http://localhost:3100 reuses a server that is already running (it must have TRUST_PROXY=1, see
// below); E2E_PORT picks the first port to try (default 3100).
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { apiBundleFile, bundleApi, nextHostEntry } from "../../scripts/api-bundle.mjs";
import { buildPages, isBuiltFrom, sourceStamp } from "../../scripts/page-build.mjs";
import { stopProcessGroup } from "../helpers/processes";

const root = path.resolve(import.meta.dirname, "../..");
const resultsDir = path.join(root, "test-results");
const distDir = ".next-e2e";
// The browser tests' own stamp: a build `npm start` made in this folder would be made without the type check.
const stampName = "twofold-e2e-sources";

// Variables that would point the server at shared infrastructure (a real database, Redis, SMTP, Twilio) or
// another mode. The e2e server must only touch its own temporary directory.
const strippedEnv =
  /^(DATABASE_URL|REDIS_URL|SMTP_URL|EMAIL_FROM|SECRET|TRUSTED_ORIGINS|SMS_.*|TWILIO_.*|NODE_ENV|PORT|HOST|APP_URL|DATA_DIR|NEXT_DIST_DIR|TRUST_PROXY|VITEST.*)$/;

/** This process's environment without the variables above. */
function isolatedEnv(): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !strippedEnv.test(name)));
}

declare module "vitest" {
  export interface ProvidedContext {
    baseURL: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  rmSync(path.join(resultsDir, "screenshots"), { recursive: true, force: true });
  mkdirSync(path.join(resultsDir, "screenshots"), { recursive: true });

  const reused = process.env.E2E_BASE_URL;
  if (reused) {
    await waitForHealth(reused, null, 60_000);
    project.provide("baseURL", reused.replace(/\/$/, ""));
    return async () => {};
  }

  await buildProduction();

  const port = await findFreePort(Number(process.env.E2E_PORT || 3100));
  const baseURL = `http://localhost:${port}`;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "twofold-e2e-"));
  const logPath = path.join(resultsDir, "e2e-server.log");
  const logFd = openSync(logPath, "w");

  const env: Record<string, string | undefined> = isolatedEnv();
  Object.assign(env, {
    PORT: String(port),
    APP_URL: baseURL,
    DATA_DIR: dataDir,
    NEXT_DIST_DIR: distDir,
    // Not "production": that refuses the dev outbox the tests read their links and codes from. The pages are the
    // production build either way (Next inlined NODE_ENV=production into them when it built them).
    NODE_ENV: "test",
    PASSWORD_HASH_COST: "test",
    // Each browser context sends its own X-Forwarded-For (test/e2e/support.ts), so per-IP rate limits apply per
    // test rather than to the whole run, and the sessions table tells the two "devices" apart.
    TRUST_PROXY: "1",
    NEXT_TELEMETRY_DISABLED: "1",
  });

  // Its own process group (detached), so teardown can stop the server and anything it spawned in one signal.
  const server = spawn(process.execPath, ["scripts/server.mjs"], {
    cwd: root,
    env: env as NodeJS.ProcessEnv,
    detached: true,
    stdio: ["ignore", logFd, logFd],
  });
  closeSync(logFd);
  const exited = new Promise<string>((resolve) =>
    server.once("exit", (code, signal) => resolve(`exited with ${signal ?? `code ${code}`}`)),
  );

  const stop = async () => {
    await stopProcessGroup(server);
    rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    await waitForHealth(baseURL, exited, 120_000);
  } catch (error) {
    await stop();
    throw error;
  }

  project.provide("baseURL", baseURL);
  return stop;
}

/**
 * `npm run build` into .next-e2e (`next build`, then the pages' API beside it) unless the build there was made from
 * the same sources.
 */
async function buildProduction(): Promise<void> {
  const apiBundle = apiBundleFile(root, distDir);
  const stamp = sourceStamp(root);
  if (isBuiltFrom(root, distDir, stampName, stamp) && existsSync(apiBundle)) return;
  const env = { ...isolatedEnv(), NEXT_TELEMETRY_DISABLED: "1" };
  await buildPages(root, distDir, { env, stampName, stamp, logFile: path.join(resultsDir, "e2e-build.log") });
  await bundleApi(root, nextHostEntry, apiBundle);
}

async function findFreePort(first: number): Promise<number> {
  for (let port = first; port < first + 100; port++) {
    const free = await new Promise<boolean>((resolve) => {
      const probe = net.createServer();
      probe.once("error", () => resolve(false));
      probe.listen(port, "0.0.0.0", () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error(`no free port in ${first}–${first + 99}`);
}

async function waitForHealth(baseURL: string, exited: Promise<string> | null, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let gone: string | null = null;
  void exited?.then((reason) => (gone = reason));
  let last = "no answer";
  while (Date.now() < deadline) {
    if (gone) throw new Error(`e2e server ${gone} before it was healthy (see test-results/e2e-server.log)`);
    try {
      const response = await fetch(`${baseURL}/api/health`, { signal: AbortSignal.timeout(60_000) });
      if (response.ok) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`e2e server at ${baseURL} not healthy after ${timeoutMs / 1000} s (${last})`);
}
