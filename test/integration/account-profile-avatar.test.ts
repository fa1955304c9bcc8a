import { crc32, deflateSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { APP_URL, forEachServer, signedUpUser, type TestClient } from "../helpers/harness";

/** A real, decodable 1×1 PNG: signature, IHDR, one zlib-compressed scanline, IEND, with correct CRCs. */
function pngBytes(rgb: [number, number, number] = [255, 0, 0]): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const typed = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(typed));
    return Buffer.concat([length, typed, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(1, 0); // width
  ihdr.writeUInt32BE(1, 4); // height
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, deflate, no filter, no interlace
  const scanline = Buffer.from([0, ...rgb]); // filter type 0, then one pixel
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(scanline)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

// A 1×1 progressive greyscale JPEG (SOI, JFIF APP0, DQT, SOF2, DHT, SOS, EOI) and a 1×1 lossless WebP (RIFF/WEBP/VP8L).
const JPEG = Buffer.from(
  "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=",
  "base64",
);
const WEBP = Buffer.from("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==", "base64");
const MiB = 1024 * 1024;

function upload(
  client: TestClient,
  body: Buffer | string,
  contentType = "image/png",
  headers: Record<string, string> = {},
) {
  const bytes = typeof body === "string" ? body : new Uint8Array(body);
  return client.request("PUT", "/api/account/avatar", {
    body: bytes,
    headers: { "content-type": contentType, ...headers },
  });
}

function versionOf(avatarUrl: string): number {
  return Number(new URL(avatarUrl, "http://x").searchParams.get("v"));
}

forEachServer("account profile and avatar", (ctx) => {
  let owner: Awaited<ReturnType<typeof signedUpUser>>;
  beforeAll(async () => {
    owner = await signedUpUser(ctx, { name: "Ada Lovelace" });
  });

  describe("PATCH /api/account/profile", () => {
    it("changes the name (trimmed) and the session sees it", async () => {
      const res = await owner.client.patch("/api/account/profile", { name: "  Ada King  " });
      expect(res.status).toBe(200);
      expect(res.body.user).toMatchObject({
        id: owner.user.id,
        email: owner.email,
        name: "Ada King",
        emailVerified: true,
      });
      expect((await owner.client.get("/api/auth/session")).body.user.name).toBe("Ada King");
      const events = await owner.client.get("/api/account/security-events");
      expect(events.body.events[0]).toMatchObject({ type: "profile_updated", ip: owner.client.ip });
    });

    it("ignores fields it does not own: no email or id change through the profile", async () => {
      const res = await owner.client.patch("/api/account/profile", {
        name: "Ada",
        email: "attacker@example.com",
        id: "x",
        emailVerified: false,
        avatarUrl: "https://evil.test/a.png",
      });
      expect(res.status).toBe(200);
      expect(res.body.user).toMatchObject({ id: owner.user.id, email: owner.email, name: "Ada", emailVerified: true });
    });

    it.each([
      [{}, "This field is required."],
      [{ name: "" }, "Enter your name."],
      [{ name: "    " }, "Enter your name."],
      [{ name: "x".repeat(101) }, "Use at most 100 characters."],
      [{ name: 42 }, undefined],
      [{ name: null }, undefined],
      // PostgreSQL cannot store NUL in text: this was a 500 before the schema refused control characters.
      [
        { name: "Ada\u0000Lovelace" },
        "Remove line breaks and invisible or control characters (such as zero-width spaces or text-direction marks).",
      ],
      [
        { name: "Ada\n\nClick https://evil.example" },
        "Remove line breaks and invisible or control characters (such as zero-width spaces or text-direction marks).",
      ],
    ])("refuses %j with 400 invalid_request naming the field", async (json, message) => {
      const res = await owner.client.patch("/api/account/profile", json);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("invalid_request");
      expect(typeof res.body.error.fields.name).toBe("string");
      if (message) expect(res.body.error.fields.name).toBe(message);
    });

    it("accepts exactly 100 characters", async () => {
      const res = await owner.client.patch("/api/account/profile", { name: "y".repeat(100) });
      expect(res.status).toBe(200);
      expect(res.body.user.name).toHaveLength(100);
    });
  });

  describe("avatar", () => {
    it("has no avatar at first: avatarUrl null and the image is 404 JSON", async () => {
      const fresh = await signedUpUser(ctx);
      expect((await fresh.client.get("/api/auth/session")).body.user.avatarUrl).toBeNull();
      const res = await ctx.client().get(`/api/users/${fresh.user.id}/avatar`);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe("not_found");
    });

    it("stores a PNG and serves the same bytes as image/png with nosniff, to anyone", async () => {
      const png = pngBytes([0, 128, 255]);
      const res = await upload(owner.client, png);
      expect(res.status).toBe(200);
      expect(res.body.user.avatarUrl).toMatch(new RegExp(`^/api/users/${owner.user.id}/avatar\\?v=\\d+$`));
      const image = await ctx.server.app.request(`http://localhost:3000${res.body.user.avatarUrl}`);
      expect(image.status).toBe(200);
      expect(image.headers.get("content-type")).toBe("image/png");
      expect(image.headers.get("x-content-type-options")).toBe("nosniff");
      expect(image.headers.get("content-security-policy")).toContain("sandbox");
      expect(Buffer.from(await image.arrayBuffer()).equals(png)).toBe(true);
      expect((await owner.client.get("/api/auth/session")).body.user.avatarUrl).toBe(res.body.user.avatarUrl);
    });

    it("sniffs the type from the bytes: a PNG labelled image/jpeg is stored as image/png", async () => {
      expect((await upload(owner.client, pngBytes(), "image/jpeg")).status).toBe(200);
      const image = await ctx.client().get(`/api/users/${owner.user.id}/avatar`);
      expect(image.headers.get("content-type")).toBe("image/png");
    });

    it.each([
      ["JPEG", JPEG, "image/jpeg"],
      ["WebP", WEBP, "image/webp"],
    ])("accepts a %s (labelled application/octet-stream) and serves it as %s", async (_kind, bytes, type) => {
      expect((await upload(owner.client, bytes, "application/octet-stream")).status).toBe(200);
      const image = await ctx.server.app.request(`http://localhost:3000/api/users/${owner.user.id}/avatar`);
      expect(image.headers.get("content-type")).toBe(type);
      expect(Buffer.from(await image.arrayBuffer()).equals(bytes)).toBe(true);
    });

    it("gives every upload a new version, so the immutable URL never serves an old image", async () => {
      const first = await upload(owner.client, pngBytes([1, 2, 3]));
      const second = await upload(owner.client, pngBytes([4, 5, 6]));
      expect(versionOf(second.body.user.avatarUrl)).toBeGreaterThan(versionOf(first.body.user.avatarUrl));
      const image = await ctx.client().get(second.body.user.avatarUrl);
      expect(image.headers.get("cache-control")).toContain("immutable");
    });

    it.each([
      ["HTML", "<!doctype html><script>alert(document.cookie)</script>"],
      ["SVG", '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="1" height="1"/></svg>'],
      ["plain text", "hello, I am not an image"],
      ["GIF", Buffer.from("GIF89a\x01\x00\x01\x00\x00\x00\x00;", "latin1")],
      ["an empty body", ""],
      ["a truncated PNG signature", Buffer.from([0x89, 0x50, 0x4e, 0x47])],
    ])("refuses %s labelled image/png with 415 and keeps the old avatar", async (_kind, body) => {
      const before = (await owner.client.get("/api/auth/session")).body.user.avatarUrl;
      const res = await upload(owner.client, body);
      expect(res.status).toBe(415);
      expect(res.body.error.code).toBe("unsupported_media_type");
      expect((await owner.client.get("/api/auth/session")).body.user.avatarUrl).toBe(before);
      const image = await ctx.client().get(`/api/users/${owner.user.id}/avatar`);
      expect(image.headers.get("content-type")).toMatch(/^image\/(png|jpeg|webp)$/);
      expect(image.text).not.toContain("<");
    });

    it("accepts exactly 1 MiB and refuses 1 MiB + 1 byte with 413, by Content-Length and when streamed", async () => {
      const padded = (size: number) => Buffer.concat([pngBytes(), Buffer.alloc(size - pngBytes().length)]);
      expect((await upload(owner.client, padded(MiB))).status).toBe(200);

      const tooBig = padded(MiB + 1);
      const declared = await upload(owner.client, tooBig, "image/png", { "content-length": String(tooBig.length) });
      expect(declared.status).toBe(413);
      expect(declared.body.error.code).toBe("payload_too_large");

      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let offset = 0; offset < tooBig.length; offset += 64 * 1024)
            controller.enqueue(tooBig.subarray(offset, offset + 64 * 1024));
          controller.close();
        },
      });
      // No Content-Length: the limit has to count the bytes as they arrive.
      const request = new Request(`${APP_URL}/api/account/avatar`, {
        method: "PUT",
        body: stream,
        duplex: "half",
        headers: { "content-type": "image/png", origin: APP_URL, cookie: `twofold_session=${owner.client.cookie}` },
      } as RequestInit);
      const streamed = await ctx.server.app.request(request, undefined, { remoteAddress: owner.client.ip });
      expect(streamed.status).toBe(413);
      expect(((await streamed.json()) as { error: { code: string } }).error.code).toBe("payload_too_large");
    });

    it("DELETE removes it: 204, avatarUrl null, image 404; the next upload continues the version count", async () => {
      const before = versionOf((await upload(owner.client, pngBytes())).body.user.avatarUrl);
      const res = await owner.client.delete("/api/account/avatar");
      expect(res.status).toBe(204);
      expect(res.text).toBe("");
      expect((await owner.client.get("/api/auth/session")).body.user.avatarUrl).toBeNull();
      expect((await ctx.client().get(`/api/users/${owner.user.id}/avatar`)).status).toBe(404);
      expect((await owner.client.delete("/api/account/avatar")).status).toBe(204);
      const after = await upload(owner.client, pngBytes());
      expect(versionOf(after.body.user.avatarUrl)).toBeGreaterThan(before);
    });

    it("needs a session and our origin to upload", async () => {
      expect((await upload(ctx.client(), pngBytes())).status).toBe(401);
      const res = await upload(owner.client, pngBytes(), "image/png", { origin: "https://evil.example" });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe("invalid_origin");
    });

    it("answers 404 for an unknown user id and 400 (our error shape) for an impossible one", async () => {
      const res = await ctx.client().get("/api/users/no-such-user/avatar");
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: { code: "not_found", message: expect.any(String) } });
      for (const id of ["%00", "a%20b", "x".repeat(101)]) {
        const bad = await ctx.client().get(`/api/users/${id}/avatar`);
        expect(bad.status, id).toBe(400);
        expect(bad.body, id).toEqual({
          error: { code: "invalid_request", message: expect.any(String), fields: { id: expect.any(String) } },
        });
      }
    });
  });
});
