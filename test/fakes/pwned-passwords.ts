import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A fake of Have I Been Pwned's range API (GET /range/{5 hex}): answers `SUFFIX:COUNT` lines for the passwords
 * it was told are breached, plus padding lines with count 0 when asked to pad, as the real service does.
 * `mode` makes it fail (HTTP 503) or hang past any client timeout.
 */
export interface FakePwnedPasswords {
  url: string;
  requests: Array<{ path: string; headers: IncomingHttpHeaders }>;
  breach(password: string, count?: number): void;
  mode: "up" | "error" | "hang";
  close(): Promise<void>;
}

export const sha1Hex = (password: string) => createHash("sha1").update(password, "utf8").digest("hex").toUpperCase();

export async function startFakePwnedPasswords(): Promise<FakePwnedPasswords> {
  const breached = new Map<string, number>();
  const hanging = new Set<import("node:http").ServerResponse>();
  const fake: FakePwnedPasswords = {
    url: "",
    requests: [],
    mode: "up",
    breach(password, count = 42) {
      breached.set(sha1Hex(password), count);
    },
    async close() {
      for (const response of hanging) response.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  const server = createServer((request, response) => {
    fake.requests.push({ path: request.url ?? "", headers: request.headers });
    const match = /^\/range\/([0-9A-F]{5})$/.exec(request.url ?? "");
    if (fake.mode === "hang") {
      hanging.add(response);
      return;
    }
    if (fake.mode === "error") return void response.writeHead(503).end("Service Unavailable");
    if (!match) return void response.writeHead(400).end("The hash prefix was not in a valid format");
    const lines: string[] = [];
    for (const [hash, count] of breached) if (hash.startsWith(match[1]!)) lines.push(`${hash.slice(5)}:${count}`);
    if (request.headers["add-padding"] === "true") {
      for (let i = 0; i < 200; i++) lines.push(`${randomBytes(18).toString("hex").slice(0, 35).toUpperCase()}:0`);
    }
    response.writeHead(200, { "content-type": "text/plain" }).end(lines.join("\r\n"));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}
