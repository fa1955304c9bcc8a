// `npm run bench:startup`: how long `npm start` takes to serve its first page, and how much memory the server
// holds after a walk through every page; then the same for `npm run api` on PGlite after a small load.
// A benchmark, not a test: it prints figures and fails only when it cannot measure. See bench/README.md.
//
// The "clean clone" run gets a fresh DATA_DIR (no embedded database yet) and a fresh NEXT_DIST_DIR (no build and no
// compiler cache): what a clone has after `npm install`. The "again" run reuses both, as a second `npm start` on the
// same clone does.
//
// BENCH_STARTUP_RUNS=start,again,api picks the runs; BENCH_STARTUP_KEEP=1 keeps the dist dir afterwards.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, memory, procTable, sleep } from "./proc.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const RUNS = (process.env.BENCH_STARTUP_RUNS || "start,again,api").split(",").filter(Boolean);
const PASSWORD = "bench-Kq7!vX2-mellow-otter";
const RUN_ID = randomBytes(4).toString("hex");
const started = performance.now();
const log = (...args) => console.error(`[startup ${((performance.now() - started) / 1000).toFixed(1)}s]`, ...args);

const cleanups = [];
async function cleanup() {
  for (const fn of cleanups.splice(0).reverse()) {
    try {
      await fn();
    } catch (error) {
      console.error("[startup] cleanup:", error.message);
    }
  }
}
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => cleanup().finally(() => process.exit(130)));

// ---------------------------------------------------------------------------------------------- processes

/**
 * Memory of everything under the launcher (`npm`): the server and any worker Next forks. npm itself is the
 * launcher, not the server, and is shown apart.
 */
function treeMemory(rootPid) {
  const table = procTable();
  const pids = [];
  const walk = (pid) => {
    for (const [child, info] of table) if (info.ppid === pid) pids.push(child) && walk(child);
  };
  walk(rootPid);
  let rss = 0;
  let hwm = 0;
  const each = [];
  for (const pid of pids) {
    const m = memory(pid);
    if (!(m.rssMb > 0)) continue; // gone since the table was read
    rss += m.rssMb;
    hwm += m.hwmMb;
    each.push(`${table.get(pid).comm}:${pid}=${Math.round(m.rssMb)}MB`);
  }
  return { rssMb: rss, hwmMb: hwm, launcherMb: memory(rootPid).rssMb, each };
}

function start(name, args, env) {
  const childEnv = { ...process.env };
  for (const key of ["NODE_ENV", "DATABASE_URL", "REDIS_URL", "SMTP_URL", "SECRET", "APP_URL", "HOST", "NODE_OPTIONS"])
    delete childEnv[key];
  Object.assign(childEnv, env);
  const t0 = performance.now();
  const child = spawn("npm", args, { cwd: ROOT, env: childEnv, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const keep = (chunk) => {
    output += chunk.toString();
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const exited = new Promise((resolve) => child.on("exit", resolve));
  const stop = async () => {
    if (child.exitCode !== null) return;
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {}
    await Promise.race([exited, sleep(20_000)]);
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {}
  };
  cleanups.push(stop);
  return { name, child, t0, stop, output: () => output };
}

async function get(port, urlPath, headers = {}) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${urlPath}`, {
      headers: { "user-agent": "twofold-bench", ...headers },
      redirect: "manual",
      signal: AbortSignal.timeout(120_000),
    });
    return { status: res.status, text: await res.text(), headers: res.headers };
  } catch (error) {
    return { status: 0, text: "", error };
  }
}

async function post(port, urlPath, json, headers = {}) {
  const res = await fetch(`http://127.0.0.1:${port}${urlPath}`, {
    method: "POST",
    headers: { "content-type": "application/json", "user-agent": "twofold-bench", ...headers },
    body: JSON.stringify(json),
    redirect: "manual",
  });
  const text = await res.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {}
  return { status: res.status, body, headers: res.headers };
}

/**
 * Polls until `urlPath` answers 200; returns seconds since the process was spawned. `handle.anyAnswer` records
 * the first answer of any status (a first `npm start` says "starting" with a 503 while it builds the pages).
 */
async function firstAnswer(handle, port, urlPath, timeoutMs = 300_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (handle.child.exitCode !== null) throw new Error(`${handle.name} exited:\n${handle.output().slice(-4000)}`);
    const res = await get(port, urlPath);
    if (res.status !== 0) handle.anyAnswer ??= (performance.now() - handle.t0) / 1000;
    if (res.status === 200) return (performance.now() - handle.t0) / 1000;
    await sleep(100);
  }
  throw new Error(`${handle.name}: no 200 on ${urlPath} after ${timeoutMs / 1000} s:\n${handle.output().slice(-4000)}`);
}

let ipCounter = 1;
const nextIp = () => {
  const i = ipCounter++;
  return `10.9.${(i >> 8) & 255}.${i & 255}`;
};

/** A verified user through the real API and the dev outbox; returns its session cookie and bearer token. */
async function verifiedUser(port, appUrl, n) {
  const email = `startup-${RUN_ID}-${String(n).replace(/\W+/g, "-")}@example.com`;
  const ip = { "x-forwarded-for": nextIp() };
  const signUp = await post(port, "/api/auth/sign-up", { email, password: PASSWORD, name: `Bench ${n}` }, ip);
  if (signUp.status !== 202) throw new Error(`sign-up: ${signUp.status} ${JSON.stringify(signUp.body)}`);
  let token;
  for (let i = 0; i < 50 && !token; i++) {
    const outbox = await get(port, "/api/dev/outbox");
    const message = JSON.parse(outbox.text || "{}").messages?.find((m) => m.to === email);
    token = message && /#token=([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)/.exec(message.body)?.[1];
    if (!token) await sleep(100);
  }
  if (!token) throw new Error(`no verification link for ${email} in the dev outbox`);
  const verified = await post(port, "/api/auth/verify-email", { token }, { ...ip, origin: appUrl });
  if (verified.status !== 200) throw new Error(`verify-email: ${verified.status} ${JSON.stringify(verified.body)}`);
  const signIn = await post(port, "/api/auth/sign-in", { email, password: PASSWORD }, { ...ip, origin: appUrl });
  const cookie = signIn.headers.get("set-cookie")?.split(";")[0];
  if (signIn.status !== 200 || !cookie) throw new Error(`sign-in: ${signIn.status} ${JSON.stringify(signIn.body)}`);
  const bearer = await post(port, "/api/auth/sign-in", { email, password: PASSWORD }, ip);
  return { email, cookie, token: bearer.body?.token };
}

// Every page, signed out then signed in (the profile pages redirect a visitor without a session).
const PUBLIC_PAGES = [
  "/",
  "/sign-up",
  "/sign-in",
  "/forgot-password",
  "/check-email",
  "/verify-email",
  "/reset-password",
  "/unlock",
  "/confirm-email",
  "/account-recovery",
  "/sign-in/verify",
  "/sign-out",
  "/dev/inbox",
  "/api/docs",
  "/no-such-page",
];
const SIGNED_IN_PAGES = ["/profile", "/profile/security", "/profile/sessions", "/profile/phone", "/"];

// ---------------------------------------------------------------------------------------------- runs

async function runStart(label, distDir, dataDir) {
  const port = await freePort();
  const appUrl = `http://localhost:${port}`;
  log(`${label}: npm start on port ${port}, dist dir ${distDir}`);
  const handle = start(label, ["start"], {
    PORT: String(port),
    APP_URL: appUrl,
    DATA_DIR: dataDir,
    NEXT_DIST_DIR: distDir,
    NEXT_TELEMETRY_DISABLED: "1",
  });
  const firstPage = await firstAnswer(handle, port, "/");
  const afterStart = treeMemory(handle.child.pid);
  // A page renders without the database (anonymous, with no session cookie to look up); a first start may still be
  // creating it then. The API answers once it is open and migrated.
  const apiReady = await firstAnswer(handle, port, "/api/health");
  log(`${label}: first page after ${firstPage.toFixed(1)} s, API ready after ${apiReady.toFixed(1)} s`);
  const user = await verifiedUser(port, appUrl, label);
  const walk = [];
  const walkStarted = performance.now();
  for (const page of PUBLIC_PAGES) {
    const t = performance.now();
    const res = await get(port, page);
    walk.push(`${page} ${res.status} ${Math.round(performance.now() - t)}ms`);
  }
  for (const page of SIGNED_IN_PAGES) {
    const t = performance.now();
    const res = await get(port, page, { cookie: user.cookie });
    walk.push(`${page}(in) ${res.status} ${Math.round(performance.now() - t)}ms`);
  }
  const walkSeconds = (performance.now() - walkStarted) / 1000;
  // A second walk: what a page costs once compiled, and whether memory keeps growing.
  for (const page of [...PUBLIC_PAGES, ...SIGNED_IN_PAGES]) await get(port, page, { cookie: user.cookie });
  await sleep(2000);
  const afterWalk = treeMemory(handle.child.pid);
  log(`${label}: walk ${walkSeconds.toFixed(1)} s: ${walk.join(", ")}`);
  log(`${label}: processes ${afterWalk.each.join(" ")}`);
  const logLines = handle.output().split("\n").length;
  await handle.stop();
  return {
    label,
    firstPage,
    apiReady,
    anyAnswer: handle.anyAnswer,
    walkSeconds,
    afterStart,
    afterWalk,
    logLines,
    output: handle.output(),
  };
}

async function runApi() {
  const port = await freePort();
  const appUrl = `http://localhost:${port}`;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "twofold-startup-api-"));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  log(`api: npm run api on port ${port} (PGlite)`);
  const handle = start("api", ["run", "api"], {
    PORT: String(port),
    APP_URL: appUrl,
    DATA_DIR: dataDir,
    TRUST_PROXY: "1",
    LOG_LEVEL: "warn",
  });
  const firstAnswerSeconds = await firstAnswer(handle, port, "/api/health");
  const afterStart = treeMemory(handle.child.pid);
  const users = [];
  for (let i = 0; i < 20; i++) users.push(await verifiedUser(port, appUrl, `api-${i}`));
  const afterSetup = treeMemory(handle.child.pid);
  // Load: session checks and sign-ins, 8 at a time.
  const t = performance.now();
  let requests = 0;
  await Promise.all(
    Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; i < 250; i++) {
        const user = users[(w * 250 + i) % users.length];
        if (i % 25 === 0)
          await post(
            port,
            "/api/auth/sign-in",
            { email: user.email, password: PASSWORD },
            { "x-forwarded-for": nextIp() },
          );
        else await get(port, "/api/auth/session", { authorization: `Bearer ${user.token}` });
        requests++;
      }
    }),
  );
  const loadSeconds = (performance.now() - t) / 1000;
  await sleep(1000);
  const afterLoad = treeMemory(handle.child.pid);
  log(`api: processes ${afterLoad.each.join(" ")}`);
  await handle.stop();
  return { firstAnswerSeconds, afterStart, afterSetup, afterLoad, requests, loadSeconds };
}

const f = (n, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : "—");

try {
  const distDir = `.next-bench-${RUN_ID}`;
  if (process.env.BENCH_STARTUP_KEEP !== "1")
    cleanups.push(() => rmSync(path.join(ROOT, distDir), { recursive: true, force: true }));
  const results = [];
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "twofold-startup-"));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  if (RUNS.includes("start")) results.push(await runStart("clean clone", distDir, dataDir));
  if (RUNS.includes("again")) results.push(await runStart("second start", distDir, dataDir));
  const api = RUNS.includes("api") ? await runApi() : undefined;

  console.log(
    `\nTwofold start-up and memory — ${os.cpus().length} cores (${os.cpus()[0]?.model}), Node ${process.version}`,
  );
  console.log(
    "run".padEnd(24),
    "first answer".padStart(13),
    "first page".padStart(11),
    "API ready".padStart(10),
    "page walk".padStart(10),
    "RSS start".padStart(10),
    "RSS walked".padStart(11),
    "peak".padStart(7),
    "log lines".padStart(10),
  );
  for (const r of results)
    console.log(
      `npm start: ${r.label}`.padEnd(24),
      `${f(r.anyAnswer, 1)} s`.padStart(13),
      `${f(r.firstPage, 1)} s`.padStart(11),
      `${f(r.apiReady, 1)} s`.padStart(10),
      `${f(r.walkSeconds, 1)} s`.padStart(10),
      `${f(r.afterStart.rssMb)} MB`.padStart(10),
      `${f(r.afterWalk.rssMb)} MB`.padStart(11),
      `${f(r.afterWalk.hwmMb)} MB`.padStart(7),
      String(r.logLines).padStart(10),
    );
  if (api) {
    console.log(
      `npm run api (PGlite): health after ${f(api.firstAnswerSeconds, 1)} s; RSS ${f(api.afterStart.rssMb)} MB at start, ` +
        `${f(api.afterSetup.rssMb)} MB after 20 sign-ups, ${f(api.afterLoad.rssMb)} MB after ${api.requests} requests ` +
        `in ${f(api.loadSeconds, 1)} s (peak ${f(api.afterLoad.hwmMb)} MB)`,
    );
  }
  console.log("RSS = VmRSS summed over the server's processes (npm, the launcher, not counted); peak = VmHWM summed.");
} catch (error) {
  console.error(`[startup] failed: ${error.stack ?? error}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
