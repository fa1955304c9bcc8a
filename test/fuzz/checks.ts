import { statusByCode } from "../../src/http/errors";
import type { Answer } from "./send";

const knownCodes = new Map<string, number>(Object.entries(statusByCode));
// A frame of a stack trace as Node prints it, or a source path: neither belongs in an error (as in http-bodies).
const STACK = /\n\s+at |\bat .*\(.*:\d+:\d+\)|node_modules|\/src\/|\.ts:\d+/;
// Successful answers echo what users typed (a name "at x (y:1:2)" is fine), so only real frames and paths count.
const FRAME = /\n\s+at \S.*:\d+:\d+|node_modules\/|\/src\/\S+\.(ts|js)\b/;
const ERROR_KEYS = new Set(["code", "message", "fields", "attemptsLeft"]);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * What every answer must satisfy, whatever was sent: no 5xx, and every error exactly
 * `{error:{code,message,fields?,attemptsLeft?}}` with a known code at its one status, JSON, no-store and no
 * stack trace; a 429 says when to come back.
 */
export function problemsWith(answer: Answer): string[] {
  const problems: string[] = [];
  const { status, headers, text } = answer;
  const head = answer.request.method.toUpperCase() === "HEAD";
  if (status >= 500) problems.push(`status ${status}`);
  if (status === 429 && !/^[1-9]\d*$/.test(headers.get("retry-after") ?? ""))
    problems.push(`429 without a Retry-After in seconds (${headers.get("retry-after")})`);
  if (status >= 200 && status < 300) {
    if (!head && /^application\/json/.test(headers.get("content-type") ?? "")) {
      if (!parses(text)) problems.push("2xx JSON body does not parse");
      if (FRAME.test(text) || text.includes(process.cwd()))
        problems.push("2xx body carries a stack frame or a source path");
    }
    return problems;
  }
  if (head) return problems;
  if (!/^application\/json/.test(headers.get("content-type") ?? ""))
    problems.push(`error with content-type ${headers.get("content-type")}`);
  if (headers.get("cache-control") !== "no-store")
    problems.push(`error with cache-control ${headers.get("cache-control")}`);
  if (STACK.test(text) || text.includes(process.cwd()))
    problems.push("error body carries a stack frame or a source path");
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    problems.push("error body is not JSON");
    return problems;
  }
  if (!isRecord(body) || Object.keys(body).join() !== "error" || !isRecord(body.error)) {
    problems.push("error body is not exactly {error:{…}}");
    return problems;
  }
  const error = body.error;
  const extra = Object.keys(error).filter((k) => !ERROR_KEYS.has(k));
  if (extra.length > 0) problems.push(`error has undocumented keys ${extra.join(", ")}`);
  if (typeof error.code !== "string" || !/^[a-z][a-z0-9_]*$/.test(error.code))
    problems.push(`error code ${JSON.stringify(error.code)} is not snake_case`);
  else if (!knownCodes.has(error.code)) problems.push(`unknown error code ${error.code}`);
  else if (knownCodes.get(error.code) !== status)
    problems.push(`${error.code} answered with ${status}, not ${knownCodes.get(error.code)}`);
  if (typeof error.message !== "string" || error.message.length === 0)
    problems.push("error message is not a non-empty string");
  if ("fields" in error && (!isRecord(error.fields) || Object.values(error.fields).some((v) => typeof v !== "string")))
    problems.push("error fields is not a map of strings");
  if (
    "attemptsLeft" in error &&
    (error.code !== "invalid_code" || !Number.isInteger(error.attemptsLeft) || (error.attemptsLeft as number) < 0)
  ) {
    problems.push(`attemptsLeft ${JSON.stringify(error.attemptsLeft)} on ${error.code}`);
  }
  return problems;
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
