// `npm run bench:enumeration`: does response time tell whether an email has an account?
// Times sign-up, sign-in, resend-verification and forgot-password for existing and unknown addresses,
// interleaved, over a few hundred requests each, and prints the median difference (goal: < 5%).
// A benchmark, not a test (test/integration/enumeration.test.ts asserts a loose bound only).
//
// Env: ENUM_REQUESTS (per endpoint and kind, default 300), ENUM_PAUSE_MS (default 0), DATABASE_URL (default: a fresh database on the local
// PostgreSQL when it answers, else embedded PGlite in a temporary folder).
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
const REQUESTS = Number(process.env.ENUM_REQUESTS || 300);
// A pause between requests lets work queued after an answer finish first (0 = back to back, the attacker's case).
const PAUSE_MS = Number(process.env.ENUM_PAUSE_MS || 0);
const PASSWORD = "bench enumeration passphrase 7";
const RUN = randomBytes(3).toString("hex");
const log = (...args) => console.error("[enumeration]", ...args);

const freePort = () =>
  new Promise((resolve) => {
    const srv = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });

async function database() {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, label: "DATABASE_URL", drop: async () => {} };
  const admin = new pg.Client({ connectionString: "postgres://postgres@127.0.0.1:5432/postgres", connectionTimeoutMillis: 2000 });
  try {
    await admin.connect();
    const name = `twofold_enum_${RUN}`;
    await admin.query(`create database ${name}`);
    await admin.end();
    return {
      url: `postgres://postgres@127.0.0.1:5432/${name}`,
      label: "PostgreSQL",
      drop: async () => {
        const again = new pg.Client({ connectionString: "postgres://postgres@127.0.0.1:5432/postgres" });
        await again.connect();
        await again.query(`drop database if exists ${name} with (force)`);
        await again.end();
      },
    };
  } catch {
    await admin.end().catch(() => {});
    return { url: undefined, label: "PGlite", drop: async () => {} };
  }
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
let ipCounter = 0;

/** One request; a fresh client address each time so per-IP limits stay out of the measurement. */
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
        res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString(), ms: performance.now() - started }));
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const db = await database();
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "twofold-enum-"));
  const env = { ...process.env, PORT: String(port), APP_URL: `http://localhost:${port}`, TRUST_PROXY: "1", DATA_DIR: dataDir, LOG_LEVEL: "warn" };
  delete env.NODE_ENV;
  delete env.SMTP_URL;
  if (db.url) env.DATABASE_URL = db.url;
  else delete env.DATABASE_URL;
  const server = spawn(path.join(ROOT, "node_modules/.bin/tsx"), ["src/http/serve.ts"], { cwd: ROOT, env, stdio: ["ignore", "ignore", "inherit"] });
  const stop = async () => {
    server.kill("SIGTERM");
    await new Promise((r) => server.once("exit", r));
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; ; i++) {
      const ok = await request(port, "GET", "/api/health").then((r) => r.status === 200, () => false);
      if (ok) break;
      if (i > 600) throw new Error("server did not start");
      await sleep(100);
    }
    log(`server up on ${db.label}; creating accounts`);
    // Unverified accounts: each kind of request below uses every account at most twice, inside every per-email budget.
    const accounts = [];
    const accountCount = Math.ceil(REQUESTS / 2);
    for (let i = 0; i < accountCount; i++) {
      const email = `enum-${RUN}-${i}@example.com`;
      const response = await request(port, "POST", "/api/auth/sign-up", { email, password: PASSWORD, name: "Ada Byron" });
      if (response.status !== 202) throw new Error(`sign-up: ${response.status} ${response.body}`);
      accounts.push(email);
    }
    const unknown = (kind, i) => `nobody-${RUN}-${kind.replace(/[^a-z]/g, "")}-${i}@example.com`;
    const cases = [
      ["sign-in (wrong password vs unknown email)", "/api/auth/sign-in", (email) => ({ email, password: "a wrong passphrase here" })],
      ["sign-up (taken vs new address)", "/api/auth/sign-up", (email) => ({ email, password: PASSWORD, name: "Ada Byron" })],
      ["resend-verification", "/api/auth/resend-verification", (email) => ({ email })],
      ["forgot-password", "/api/auth/forgot-password", (email) => ({ email })],
    ];
    const results = [];
    for (const [label, pathname, body] of cases) {
      const times = { existing: [], unknown: [] };
      const answers = { existing: new Set(), unknown: new Set() };
      // Warm-up: JIT, prepared statements, connection pool.
      for (let i = 0; i < 10; i++) await request(port, "POST", pathname, body(unknown(`warm-${pathname}`, i)));
      for (let i = 0; i < REQUESTS; i++) {
        // Alternate which goes first so drift (GC, autovacuum) falls on both sides alike.
        const order = i % 2 ? ["existing", "unknown"] : ["unknown", "existing"];
        for (const kind of order) {
          // Both sides reuse each address twice, so both see the same mix of new and known rate-limit rows.
          const email = kind === "existing" ? accounts[i % accounts.length] : unknown(pathname, i % accounts.length);
          const response = await request(port, "POST", pathname, body(email));
          times[kind].push(response.ms);
          if (PAUSE_MS) await sleep(PAUSE_MS);
          answers[kind].add(`${response.status} ${response.body}`);
        }
      }
      const known = median(times.existing);
      const other = median(times.unknown);
      const diff = ((other - known) / known) * 100;
      const sameAnswers = answers.existing.size === 1 && [...answers.existing][0] === [...answers.unknown][0] && answers.unknown.size === 1;
      if (!sameAnswers) log(label, "existing:", [...answers.existing].slice(0, 3), "unknown:", [...answers.unknown].slice(0, 3));
      results.push({ label, known, other, diff, sameAnswers, answer: [...answers.existing][0]?.slice(0, 40) });
    }
    console.log(`\nEnumeration timing on ${db.label}, ${REQUESTS} requests per kind, sequential, interleaved, ${PAUSE_MS} ms apart (goal: |median difference| < 5%)\n`);
    console.log("endpoint                                     existing ms   unknown ms   difference   same answer");
    for (const r of results) {
      console.log(
        `${r.label.padEnd(44)} ${r.known.toFixed(2).padStart(11)} ${r.other.toFixed(2).padStart(12)} ${`${r.diff >= 0 ? "+" : ""}${r.diff.toFixed(1)}%`.padStart(12)}   ${r.sameAnswers ? "yes" : `NO (${r.answer})`}`,
      );
    }
  } finally {
    await stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
