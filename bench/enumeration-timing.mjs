// `npm run bench:enumeration`: does response time tell whether an email has an account?
//
// For each flow that takes an email address it times requests for existing accounts and for unknown addresses,
// interleaved, and prints per flow the medians, their difference and the AUC (Mann–Whitney): the chance that a
// random "existing" request took longer than a random "unknown" one. 0.5 is indistinguishable; the pen test found
// 0.68 (sign-in) and 0.19 (sign-up). Goal: AUC within 0.4–0.6 and medians within 3%, back to back.
//
// Back to back (ENUM_PAUSE_MS=0, the default) is the attacker's case: work a request leaves for after its answer
// (a link, an email, an event) runs while the next request is being answered. The two kinds go in a shuffled
// order, so that overlap falls on both sides alike; "AUC next" shows the overlap itself.
//
// Runs on PostgreSQL and on PGlite (ENUM_DATABASES=postgresql,pglite). PostgreSQL: DATABASE_URL when set (it must
// point at this machine), else a fresh database on postgres://postgres@127.0.0.1:5432, dropped afterwards.
// Everything it talks to is on 127.0.0.1: the server it starts (dev outbox, no SMTP, Twilio, Redis or
// Pwned Passwords) and PostgreSQL. A benchmark, not a test: test/integration/enumeration*.test.ts assert the
// shape (same answer, same answer-time work); this measures.
//
// Env: ENUM_REQUESTS (samples per side and flow, default 200), ENUM_PAUSE_MS (default 0), ENUM_SEED, ENUM_DATABASES,
// DATABASE_URL, ENUM_FLOWS (comma-separated substrings of the flow labels, default all).
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const REQUESTS = Number(process.env.ENUM_REQUESTS || 200);
// A pause between requests lets work queued after an answer finish first (0 = back to back, the attacker's case).
const PAUSE_MS = Number(process.env.ENUM_PAUSE_MS || 0);
const DATABASES = (process.env.ENUM_DATABASES || "postgresql,pglite")
  .split(",")
  .map((s) => s.trim())
  .filter(Boolean);
const FLOW_FILTER = (process.env.ENUM_FLOWS || "")
  .split(",")
  .map((s) => s.trim())
  .filter(Boolean);
const REQUEST_TIMEOUT_MS = 30_000;
const PASSWORD = "bench enumeration passphrase 7";
const RUN = randomBytes(3).toString("hex");
const PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres";
const log = (...args) => console.error("[enumeration]", ...args);

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1", ""]);

const freePort = () =>
  new Promise((resolve) => {
    const srv = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });

async function postgresDatabase() {
  if (process.env.DATABASE_URL) {
    const host = new URL(process.env.DATABASE_URL).hostname;
    if (!LOOPBACK.has(host)) throw new Error(`DATABASE_URL points at ${host}: this bench talks to 127.0.0.1 only`);
    return { url: process.env.DATABASE_URL, label: "PostgreSQL (DATABASE_URL)", drop: async () => {} };
  }
  const name = `twofold_enum_${RUN}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  return {
    url: `postgres://postgres@127.0.0.1:5432/${name}`,
    label: "PostgreSQL",
    drop: async () => {
      const again = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 });
      await again.connect();
      await again.query(`drop database if exists ${name} with (force)`);
      await again.end();
    },
  };
}

// One keep-alive socket, renewed for each server: requests strictly one after the other.
let agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
let ipCounter = 0;
/** Run on exit, Ctrl-C included: stop the server, drop the database, delete the data folder. */
const cleanups = new Set();

/** One request to 127.0.0.1; a fresh client address each time so per-IP limits stay out of the measurement. */
function request(port, method, pathname, body) {
  ipCounter++;
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        method,
        path: pathname,
        agent,
        timeout: REQUEST_TIMEOUT_MS,
        headers: {
          "content-type": "application/json",
          origin: `http://localhost:${port}`,
          "x-forwarded-for": `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`,
          ...(payload ? { "content-length": Buffer.byteLength(payload) } : {}),
        },
      },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString(), ms: performance.now() - started }),
        );
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${pathname}: no answer in ${REQUEST_TIMEOUT_MS} ms`)));
    req.on("error", reject);
    req.end(payload);
  });
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** P(existing > unknown) + ½ P(tie), from the Mann–Whitney U of the pooled ranks (ties get their mean rank). */
function auc(existing, unknown) {
  const pooled = [...existing.map((v) => [v, 0]), ...unknown.map((v) => [v, 1])].sort((a, b) => a[0] - b[0]);
  let rankSumExisting = 0;
  for (let i = 0; i < pooled.length; ) {
    let j = i;
    while (j < pooled.length && pooled[j][0] === pooled[i][0]) j++;
    const meanRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (pooled[k][1] === 0) rankSumExisting += meanRank;
    i = j;
  }
  const u = rankSumExisting - (existing.length * (existing.length + 1)) / 2;
  return u / (existing.length * unknown.length);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * n "existing" and n "unknown" in a random order (a seeded shuffle: ENUM_SEED), so that what came just before
 * (and two, three … before) is the same mix for both kinds. Fixed patterns are not: u e | e u | u e … balances
 * only the request just before, and pairs in random order put the opposite kind before a request 3 times in 4;
 * work left after existing answers (an email) then showed as a gap of up to 16% that the answers did not have.
 */
function shuffledKinds(n) {
  const sequence = [...Array(n).fill("existing"), ...Array(n).fill("unknown")];
  for (let i = sequence.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [sequence[i], sequence[j]] = [sequence[j], sequence[i]];
  }
  return sequence;
}

let seed = Number(process.env.ENUM_SEED || 1) >>> 0;
/** mulberry32: a small seeded PRNG, so a run can be repeated. */
function random() {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** GET /api/dev/outbox waits for the work queued after earlier answers, then lists the 50 newest messages. */
async function settledOutbox(port) {
  const response = await request(port, "GET", "/api/dev/outbox");
  if (response.status !== 200) throw new Error(`dev outbox: ${response.status}`);
  return JSON.parse(response.body).messages;
}

async function signUp(port, email) {
  const response = await request(port, "POST", "/api/auth/sign-up", { email, password: PASSWORD, name: "Ada Byron" });
  if (response.status !== 202) throw new Error(`sign-up: ${response.status} ${response.body}`);
}

async function verifiedAccount(port, email) {
  await signUp(port, email);
  const mail = (await settledOutbox(port)).find((m) => m.to === email && /confirm/i.test(m.subject ?? ""));
  const token = mail?.body.match(/#token=([A-Za-z0-9_.-]+)/)?.[1];
  if (!token) throw new Error("no verification link in the dev outbox");
  const verify = await request(port, "POST", "/api/auth/verify-email", { token });
  if (verify.status !== 200) throw new Error(`verify-email: ${verify.status}`);
}

async function measure(label) {
  const db =
    label === "postgresql" ? await postgresDatabase() : { url: undefined, label: "PGlite", drop: async () => {} };
  const port = await freePort();
  agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "twofold-enum-"));
  const env = {
    ...process.env,
    PORT: String(port),
    APP_URL: `http://localhost:${port}`,
    TRUST_PROXY: "1",
    DATA_DIR: dataDir,
    LOG_LEVEL: "warn",
    SMS_PROVIDER: "outbox",
  };
  // Nothing that would reach beyond this machine, and nothing from production.
  for (const key of Object.keys(env))
    if (/^(NODE_ENV|SMTP_URL|REDIS_URL|PWNED_PASSWORDS|TWILIO_.*|DATABASE_URL)$/.test(key)) delete env[key];
  if (db.url) env.DATABASE_URL = db.url;
  const server = spawn(path.join(ROOT, "node_modules/.bin/tsx"), ["src/http/serve.ts"], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "ignore", "inherit"],
  });
  const exited = new Promise((r) => server.once("exit", r));
  const stop = async () => {
    cleanups.delete(stop);
    agent.destroy();
    if (server.exitCode === null) server.kill("SIGTERM");
    await Promise.race([exited, sleep(30_000).then(() => server.kill("SIGKILL"))]);
    await db.drop().catch((error) => log("could not drop the database:", error.message));
    rmSync(dataDir, { recursive: true, force: true });
  };
  cleanups.add(stop);
  try {
    for (let i = 0; ; i++) {
      const ok = await request(port, "GET", "/api/health").then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      if (server.exitCode !== null) throw new Error("server exited");
      if (i > 600) throw new Error("server did not start");
      await sleep(100);
    }
    // Each account is used at most twice per flow (plus its own sign-up), inside every per-email budget (3).
    const perPool = Math.ceil(REQUESTS / 2);
    log(`server up on ${db.label}; creating ${perPool} unverified and ${perPool} verified accounts`);
    const unverified = [];
    const verified = [];
    for (let i = 0; i < perPool; i++) {
      unverified.push(`enum-${RUN}-u${i}@example.com`);
      await signUp(port, unverified.at(-1));
      verified.push(`enum-${RUN}-v${i}@example.com`);
      await verifiedAccount(port, verified.at(-1));
    }
    const warmUnverified = `enum-${RUN}-uwarm@example.com`;
    const warmVerified = `enum-${RUN}-vwarm@example.com`;
    await signUp(port, warmUnverified);
    await verifiedAccount(port, warmVerified);
    await settledOutbox(port);

    const signUpBody = (email) => ({ email, password: PASSWORD, name: "Ada Byron" });
    const flows = [
      [
        "sign-in, wrong password (verified)",
        "/api/auth/sign-in",
        (email) => ({ email, password: "a wrong passphrase here" }),
        verified,
        warmVerified,
      ],
      ["sign-up (taken, verified)", "/api/auth/sign-up", signUpBody, verified, warmVerified],
      ["sign-up (taken, unverified)", "/api/auth/sign-up", signUpBody, unverified, warmUnverified],
      [
        "resend-verification (unverified)",
        "/api/auth/resend-verification",
        (email) => ({ email }),
        unverified,
        warmUnverified,
      ],
      ["forgot-password (verified)", "/api/auth/forgot-password", (email) => ({ email }), verified, warmVerified],
    ].filter(([label]) => FLOW_FILTER.length === 0 || FLOW_FILTER.some((f) => label.includes(f)));
    const results = [];
    for (const [label, pathname, body, accounts, warm] of flows) {
      const tag = label.replace(/[^a-z]/g, "");
      const unknown = (i) => `nobody-${RUN}-${tag}-${i}@example.com`;
      const times = { existing: [], unknown: [] };
      // Every request's time, by the kind of the request before it: work one side leaves for after its answer
      // slows whatever comes next, which an attacker can time with a probe of their own.
      const after = { existing: [], unknown: [] };
      const answers = { existing: new Set(), unknown: new Set() };
      // Warm-up of both paths (JIT, prepared statements, the pool), within the warm-up accounts' budgets.
      for (let i = 0; i < 2; i++) await request(port, "POST", pathname, body(warm));
      for (let i = 0; i < 8; i++) await request(port, "POST", pathname, body(`warm-${RUN}-${tag}-${i}@example.com`));
      await settledOutbox(port);
      const sequence = shuffledKinds(REQUESTS);
      const used = { existing: 0, unknown: 0 };
      let previous = null;
      for (const kind of sequence) {
        // Both sides use each address twice, so both see the same mix of new and known rate-limit rows.
        const n = used[kind]++ % accounts.length;
        const email = kind === "existing" ? accounts[n] : unknown(n);
        const response = await request(port, "POST", pathname, body(email));
        times[kind].push(response.ms);
        if (previous) after[previous].push(response.ms);
        previous = kind;
        answers[kind].add(`${response.status} ${response.body}`);
        if (PAUSE_MS) await sleep(PAUSE_MS);
      }
      await settledOutbox(port);
      const known = median(times.existing);
      const other = median(times.unknown);
      const sameAnswers =
        answers.existing.size === 1 &&
        answers.unknown.size === 1 &&
        [...answers.existing][0] === [...answers.unknown][0];
      if (!sameAnswers)
        log(label, "existing:", [...answers.existing].slice(0, 3), "unknown:", [...answers.unknown].slice(0, 3));
      results.push({
        label,
        known,
        other,
        diff: ((known - other) / other) * 100,
        auc: auc(times.existing, times.unknown),
        aucNext: auc(after.existing, after.unknown),
        sameAnswers,
        answer: [...answers.existing][0]?.slice(0, 40),
      });
    }
    return { label: db.label, results };
  } finally {
    await stop();
  }
}

function print({ label, results }) {
  // Under "no difference", the AUC of 200 + 200 samples has a standard error of about 0.029.
  console.log(
    `\nEnumeration timing on ${label}: ${REQUESTS} requests per side, interleaved, ${PAUSE_MS ? `${PAUSE_MS} ms apart` : "back to back"}`,
  );
  console.log("goal: |existing − unknown| < 3% of the median, AUC within 0.40–0.60 (AUC = P(existing slower))\n");
  console.log(
    "AUC next: the time of the request that follows an existing vs an unknown one (work left after the answer)\n",
  );
  console.log(
    "flow                                    existing ms   unknown ms   difference    AUC   AUC next   same answer   within goal",
  );
  for (const r of results) {
    const within = Math.abs(r.diff) < 3 && r.auc >= 0.4 && r.auc <= 0.6 && r.sameAnswers;
    console.log(
      `${r.label.padEnd(38)} ${r.known.toFixed(2).padStart(12)} ${r.other.toFixed(2).padStart(12)} ${`${r.diff >= 0 ? "+" : ""}${r.diff.toFixed(1)}%`.padStart(12)} ${r.auc.toFixed(2).padStart(6)} ${r.aucNext.toFixed(2).padStart(10)}   ${(r.sameAnswers ? "yes" : `NO (${r.answer})`).padEnd(11)}   ${within ? "yes" : "NO"}`,
    );
  }
}

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, async () => {
    for (const cleanup of [...cleanups]) await cleanup().catch(() => {});
    process.exit(130);
  });
}

async function main() {
  const runs = [];
  for (const database of DATABASES) {
    if (database !== "postgresql" && database !== "pglite")
      throw new Error(`ENUM_DATABASES: unknown "${database}" (postgresql, pglite)`);
    runs.push(await measure(database));
    print(runs.at(-1));
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
