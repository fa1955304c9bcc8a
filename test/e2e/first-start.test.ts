// `npm start` on a clean clone: no build of the pages and no database yet. It answers at once with a page saying it
// is starting, builds the pages for this machine (compile only, no prerendering: scripts/page-build.mjs), then serves
// them with the security headers scripts/server.mjs gives every page, while the API creates its embedded database.
// A second start reuses both. The other browser tests run a production build (`npm run build`), not this one.
//
// How fast this is, is measured by bench/startup.mjs, not here.
import { type ChildProcessByStdio, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { closedPort } from "../helpers/network";
import { stopProcessGroup } from "../helpers/processes";
import { cspNonce, useBrowser } from "./support";

const root = path.resolve(import.meta.dirname, "../..");
// Inside the project (Next.js refuses a dist dir outside it), ignored by git (.next-*/), and not `.next`: a developer's
// own `npm start` build stays untouched.
const distDir = ".next-first-start";
const dataDir = mkdtempSync(path.join(os.tmpdir(), "twofold-first-start-"));
const browser = useBrowser();

let server: { child: ChildProcessByStdio<null, Readable, Readable>; output: () => string } | undefined;
let baseURL = "";
const account = { email: "first-start@example.com", password: "Kq7!vX2-mellow-otter-lamp" };

/** `npm start` as a new user runs it: nothing set but where to listen, and where the data and the build go. */
async function npmStart() {
  const port = await closedPort();
  baseURL = `http://localhost:${port}`;
  const child = spawn("npm", ["start"], {
    cwd: root,
    detached: true,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(port),
      APP_URL: baseURL,
      DATA_DIR: dataDir,
      NEXT_DIST_DIR: distDir,
      NEXT_TELEMETRY_DISABLED: "1",
    } as Record<string, string | undefined> as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk));
  server = { child, output: () => output };
}

async function stop() {
  if (server) await stopProcessGroup(server.child, 30_000);
}

afterAll(async () => {
  await stop();
  rmSync(path.join(root, distDir), { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

/** The first answer to `pathname` with `status`, polling every 100 ms. */
async function waitFor(pathname: string, status: number, timeoutMs: number): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (server?.child.exitCode !== null) throw new Error(`npm start exited:\n${server?.output()}`);
    const response = await fetch(`${baseURL}${pathname}`, { redirect: "manual" }).catch(() => undefined);
    if (response?.status === status) return response;
    last = response ? `HTTP ${response.status}` : "no answer";
    await response?.body?.cancel();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${pathname}: no ${status} within ${timeoutMs / 1000} s (last: ${last}):\n${server?.output()}`);
}

describe.skipIf(Boolean(process.env.E2E_BASE_URL))("npm start on a clean clone", () => {
  it("says it is starting, then serves the pages it built, with their policy, and opens a new database", async () => {
    rmSync(path.join(root, distDir), { recursive: true, force: true });
    await npmStart();

    // While the pages build: a page that says so and reloads itself, and the API's 503 with Retry-After.
    const starting = await waitFor("/", 503, 20_000);
    expect(starting.headers.get("retry-after")).toBe("5");
    expect(await starting.text()).toContain("Twofold is starting");
    const apiStarting = await fetch(`${baseURL}/api/health`);
    if (apiStarting.status === 503) expect((await apiStarting.json()).error.code).toBe("service_unavailable");

    const home = await waitFor("/", 200, 150_000);
    expect(server!.output()).toContain("Building the pages");
    // The database is created only now, once the pages are built: 50 API requests sent at this instant all wait for
    // the one being made (none fails, none makes another).
    const healths = Promise.all(
      Array.from({ length: 50 }, () =>
        fetch(`${baseURL}/api/health`, { signal: AbortSignal.timeout(90_000) }).then((response) => response.status),
      ),
    );
    const nonce = cspNonce(home.headers.get("content-security-policy") ?? "");
    expect(nonce).toBeDefined();
    expect(await home.text()).toContain(`nonce="${nonce}"`);

    // Not prerendered by this build: rendered on their first request instead.
    const missing = await fetch(`${baseURL}/no-such-page`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain("Page not found");
    const icon = await fetch(`${baseURL}/icon.svg`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get("content-type")).toContain("image/svg+xml");

    // The pages hydrate under their policy: a client-side control works, and nothing was blocked.
    const page = await browser.page();
    const violations: string[] = [];
    page.on("console", (message) => {
      if (/content.security.policy/i.test(message.text())) violations.push(message.text());
    });
    await page.goto(`${baseURL}/sign-up`);
    const toggle = page.locator("button.password-toggle").first();
    await expect.poll(() => toggle.getAttribute("aria-pressed")).toBe("false");
    await toggle.click();
    await expect.poll(() => toggle.getAttribute("aria-pressed")).toBe("true");
    expect(violations).toEqual([]);

    // The API, on the database this start created: one server, one database, every waiting request answered.
    expect(await healths).toEqual(Array(50).fill(200));
    expect(
      readdirSync(path.dirname(dataDir)).filter((name) => name.startsWith(`${path.basename(dataDir)}.init-`)),
    ).toEqual([]);
    const signUp = await fetch(`${baseURL}/api/auth/sign-up`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: baseURL },
      body: JSON.stringify({ ...account, name: "First start" }),
    });
    expect(signUp.status, await signUp.clone().text()).toBe(202);
    // One server was made for all of them (its log line, written asynchronously, once).
    const serversMade = () => server!.output().match(/"msg":"twofold ready"/g)?.length ?? 0;
    await expect.poll(serversMade, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(serversMade(), server!.output()).toBe(1);
    await stop();
  }, 240_000);

  it("a second start builds nothing and serves the first page at once", async () => {
    await npmStart();
    await waitFor("/api/health", 200, 60_000);
    // It listens only once the pages are loaded: the first page it answers is the real one.
    const home = await fetch(`${baseURL}/`);
    expect(home.status).toBe(200);
    expect(server!.output()).not.toContain("Building the pages");
    // The account made by the first start is still there (the same database, not a new one): its password is right,
    // and only the unverified address stops the sign-in.
    const signIn = await fetch(`${baseURL}/api/auth/sign-in`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: baseURL },
      body: JSON.stringify({ email: account.email, password: account.password }),
    });
    expect(signIn.status).toBe(403);
    expect((await signIn.json()).error.code).toBe("email_not_verified");
    await stop();
  }, 90_000);
});
