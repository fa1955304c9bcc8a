// The peer: a bare node:http + pg (Pool) server doing "just that", over the same tables (created by our
// migrations) so the comparison with Twofold's API is like for like.
//
//   GET  /session   Authorization: Bearer id.secret → one SELECT sessions JOIN users by sessions.id,
//                   SHA-256 of the secret compared in constant time, expiry checked, JSON user.
//   POST /sign-in   {"email","password"} → one SELECT user + password hash by email, one @node-rs/argon2
//                   verify, INSERT a session row, JSON user + token.
//   GET  /health    200, no database.
//
// Env: DATABASE_URL (required), PORT (default 3100), DATABASE_POOL_SIZE (default 10, as Twofold).
// Benchmark scaffolding, not a product: no rate limits, no events, no cookies, no CSRF.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import http from "node:http";
import { verify } from "@node-rs/argon2";
import pg from "pg";

const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DATABASE_POOL_SIZE || 10),
});
pool.on("error", () => {});

const SESSION_SQL =
  "SELECT s.secret_hash, s.user_id, s.expires_at, s.last_seen_at, u.id, u.email, u.name, u.email_verified_at FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1";
const CREDENTIALS_SQL =
  "SELECT u.id, u.email, u.name, u.email_verified_at, p.password_hash FROM users u JOIN password_credentials p ON p.user_id = u.id WHERE u.email = $1";
const INSERT_SESSION_SQL =
  "INSERT INTO sessions (id, secret_hash, user_id, assurance_level, created_at, last_seen_at, expires_at, ip, user_agent) VALUES ($1, $2, $3, 1, $4, $4, $5, $6, $7)";
const IDLE_MS = 7 * 24 * 3600 * 1000;
const ABSOLUTE_MS = 30 * 24 * 3600 * 1000;
const TOKEN_RE = /^Bearer ([A-Za-z0-9_-]{16,64})\.([A-Za-z0-9_-]{32,128})$/;

const sha256 = (value) => createHash("sha256").update(value).digest();

function send(res, status, body) {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(json),
    "cache-control": "no-store",
  });
  res.end(json);
}

const present = (row) => ({
  id: row.id,
  email: row.email,
  name: row.name,
  emailVerified: row.email_verified_at !== null,
});

async function session(req, res) {
  const match = TOKEN_RE.exec(req.headers.authorization ?? "");
  if (!match) return send(res, 401, { error: "unauthenticated" });
  const { rows } = await pool.query(SESSION_SQL, [match[1]]);
  const row = rows[0];
  const hash = sha256(match[2]);
  if (!row || row.secret_hash.length !== hash.length || !timingSafeEqual(row.secret_hash, hash))
    return send(res, 401, { error: "unauthenticated" });
  const now = Date.now();
  if (Math.min(row.last_seen_at.getTime() + IDLE_MS, row.expires_at.getTime()) <= now)
    return send(res, 401, { error: "unauthenticated" });
  send(res, 200, { user: present(row) });
}

async function readJson(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error("too large");
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

async function signIn(req, res) {
  let body;
  try {
    body = await readJson(req);
  } catch {
    return send(res, 400, { error: "invalid_json" });
  }
  if (typeof body?.email !== "string" || typeof body?.password !== "string")
    return send(res, 400, { error: "invalid_request" });
  const { rows } = await pool.query(CREDENTIALS_SQL, [body.email.trim().toLowerCase()]);
  const row = rows[0];
  let valid = false;
  try {
    valid = row ? await verify(row.password_hash, body.password.normalize("NFKC")) : false;
  } catch {
    valid = false;
  }
  if (!valid) return send(res, 401, { error: "invalid_credentials" });
  const id = randomBytes(16).toString("base64url");
  const secret = randomBytes(32).toString("base64url");
  const now = new Date();
  await pool.query(INSERT_SESSION_SQL, [
    id,
    sha256(secret),
    row.id,
    now,
    new Date(now.getTime() + ABSOLUTE_MS),
    req.socket.remoteAddress ?? null,
    req.headers["user-agent"]?.slice(0, 512) ?? null,
  ]);
  send(res, 200, { user: present(row), token: `${id}.${secret}` });
}

const server = http.createServer((req, res) => {
  const path = req.url?.split("?")[0];
  let work;
  if (req.method === "GET" && path === "/session") work = session(req, res);
  else if (req.method === "POST" && path === "/sign-in") work = signIn(req, res);
  else if (req.method === "GET" && path === "/health") return send(res, 200, { status: "ok" });
  else return send(res, 404, { error: "not_found" });
  work.catch((error) => {
    console.error(error);
    if (!res.headersSent) send(res, 500, { error: "internal_error" });
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT || 3100), "127.0.0.1", () => {
  console.error(`peer-bare listening on http://127.0.0.1:${server.address().port}`);
});

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    server.close();
    server.closeAllConnections?.();
    pool.end().finally(() => process.exit(0));
  });
}
