import { crc32, deflateSync } from "node:zlib";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { AVATAR_STORED_SIZE, avatarMessages } from "../../src/core/avatar-rules";
import { APP_URL, forEachServer, type ServerContext, signedUpUser, type TestClient } from "../helpers/harness";

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

// Real, decodable JPEG and WebP files, made here so each test says what is in them.
const JPEG = await sharp({ create: { width: 40, height: 30, channels: 3, background: "#2a6" } })
  .jpeg()
  .toBuffer();
const WEBP = await sharp({ create: { width: 30, height: 40, channels: 4, background: "#36c8" } })
  .webp({ lossless: true })
  .toBuffer();
const MiB = 1024 * 1024;

/** What the API stored: decoded back, with its metadata. */
async function storedAvatar(ctx: ServerContext, url: string) {
  const image = await ctx.server.app.request(`http://localhost:3000${url}`);
  const bytes = Buffer.from(await image.arrayBuffer());
  return { response: image, bytes, metadata: await sharp(bytes).metadata() };
}

/** The RGB of one pixel of an encoded image. */
async function pixel(bytes: Buffer, x: number, y: number): Promise<[number, number, number]> {
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * info.channels;
  return [data[at]!, data[at + 1]!, data[at + 2]!];
}

const isRed = ([r, g, b]: number[]) => r! > 200 && g! < 60 && b! < 60;
const isBlue = ([r, g, b]: number[]) => r! < 60 && g! < 60 && b! > 200;

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

    it("stores a PNG re-encoded as a small WebP square, served with nosniff, to anyone", async () => {
      const png = pngBytes([0, 128, 255]);
      const res = await upload(owner.client, png);
      expect(res.status).toBe(200);
      expect(res.body.user.avatarUrl).toMatch(new RegExp(`^/api/users/${owner.user.id}/avatar\\?v=\\d+$`));
      const { response, bytes, metadata } = await storedAvatar(ctx, res.body.user.avatarUrl);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("image/webp");
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("content-security-policy")).toContain("sandbox");
      expect(bytes.equals(png)).toBe(false);
      expect(metadata).toMatchObject({ format: "webp", width: AVATAR_STORED_SIZE, height: AVATAR_STORED_SIZE });
      // Still the uploaded colour (lossy, so near it), edge to edge.
      for (const [x, y] of [
        [0, 0],
        [128, 128],
        [255, 255],
      ] as const) {
        const rgb = await pixel(bytes, x, y);
        expect(
          rgb.every((value, i) => Math.abs(value - [0, 128, 255][i]!) < 16),
          `${rgb} at ${x},${y}`,
        ).toBe(true);
      }
      expect((await owner.client.get("/api/auth/session")).body.user.avatarUrl).toBe(res.body.user.avatarUrl);
    });

    it("sniffs the type from the bytes: a PNG labelled image/jpeg is accepted", async () => {
      expect((await upload(owner.client, pngBytes(), "image/jpeg")).status).toBe(200);
      const image = await ctx.client().get(`/api/users/${owner.user.id}/avatar`);
      expect(image.headers.get("content-type")).toBe("image/webp");
    });

    it.each([
      ["JPEG", JPEG],
      ["WebP", WEBP],
    ])("accepts a %s (labelled application/octet-stream) and stores a square WebP", async (_kind, bytes) => {
      const res = await upload(owner.client, bytes, "application/octet-stream");
      expect(res.status).toBe(200);
      const stored = await storedAvatar(ctx, res.body.user.avatarUrl);
      expect(stored.response.headers.get("content-type")).toBe("image/webp");
      expect(stored.metadata).toMatchObject({ format: "webp", width: AVATAR_STORED_SIZE, height: AVATAR_STORED_SIZE });
    });

    it("strips every metadata: a phone JPEG's EXIF (GPS position, camera) is gone from what is served", async () => {
      const photo = await sharp({ create: { width: 640, height: 480, channels: 3, background: "#c84" } })
        .jpeg()
        .withExif({
          IFD0: { Make: "TwofoldTestCam", Model: "Leaky 1", Copyright: "Owner Name" },
          IFD3: {
            GPSLatitudeRef: "N",
            GPSLatitude: "51/1 30/1 2634/100",
            GPSLongitudeRef: "W",
            GPSLongitude: "0/1 7/1 3996/100",
          },
        })
        .toBuffer();
      // The fixture really carries the position (else this test could not fail).
      const before = await sharp(photo).metadata();
      expect(before.exif?.length).toBeGreaterThan(0);
      expect(photo.includes("TwofoldTestCam")).toBe(true);

      const res = await upload(owner.client, photo, "image/jpeg");
      expect(res.status).toBe(200);
      const { bytes, metadata } = await storedAvatar(ctx, res.body.user.avatarUrl);
      expect(metadata.exif).toBeUndefined();
      expect(metadata.xmp).toBeUndefined();
      expect(metadata.icc).toBeUndefined();
      expect(metadata.iptc).toBeUndefined();
      for (const text of ["TwofoldTestCam", "Leaky 1", "Owner Name", "Exif", "GPS"])
        expect(bytes.includes(text)).toBe(false);
    });

    it("turns a photo upright by its EXIF orientation, then crops the centre square", async () => {
      // 200×100 stored sideways: red left half, blue right half; orientation 6 means "rotate 90° clockwise to view",
      // so upright it is 100×200 with red on top. Ignoring the tag would give red left, blue right instead.
      const halves = await sharp({ create: { width: 200, height: 100, channels: 3, background: "#00f" } })
        .composite([
          {
            input: await sharp({ create: { width: 100, height: 100, channels: 3, background: "#f00" } })
              .png()
              .toBuffer(),
            left: 0,
            top: 0,
          },
        ])
        .jpeg({ quality: 95 })
        .withMetadata({ orientation: 6 })
        .toBuffer();
      expect((await sharp(halves).metadata()).orientation).toBe(6);
      const res = await upload(owner.client, halves, "image/jpeg");
      expect(res.status).toBe(200);
      const { bytes, metadata } = await storedAvatar(ctx, res.body.user.avatarUrl);
      expect(metadata.orientation).toBeUndefined();
      expect(isRed(await pixel(bytes, 10, 10))).toBe(true);
      expect(isRed(await pixel(bytes, 245, 10))).toBe(true);
      expect(isBlue(await pixel(bytes, 10, 245))).toBe(true);
      expect(isBlue(await pixel(bytes, 245, 245))).toBe(true);
    });

    it("gives every upload a new version, so the immutable URL never serves an old image", async () => {
      const first = await upload(owner.client, pngBytes([1, 2, 3]));
      const second = await upload(owner.client, pngBytes([4, 5, 6]));
      expect(versionOf(second.body.user.avatarUrl)).toBeGreaterThan(versionOf(first.body.user.avatarUrl));
      const image = await ctx.client().get(second.body.user.avatarUrl);
      expect(image.headers.get("cache-control")).toContain("immutable");
    });

    it("takes 20 uploads at once (decodes queue two at a time): each answered 200 with its own version, one stored", async () => {
      const colours = Array.from({ length: 20 }, (_, i) => [i * 12, 255 - i * 12, 7] as [number, number, number]);
      const answers = await Promise.all(colours.map((rgb) => upload(owner.client, pngBytes(rgb))));
      expect(answers.map((a) => a.status)).toEqual(colours.map(() => 200));
      const versions = answers.map((a) => versionOf(a.body.user.avatarUrl));
      expect(new Set(versions).size).toBe(20);
      // What is served is the newest version, re-encoded like any other.
      const newest = answers[versions.indexOf(Math.max(...versions))]!.body.user.avatarUrl;
      expect((await owner.client.get("/api/auth/session")).body.user.avatarUrl).toBe(newest);
      const { metadata } = await storedAvatar(ctx, newest);
      expect([metadata.format, metadata.width, metadata.height]).toEqual([
        "webp",
        AVATAR_STORED_SIZE,
        AVATAR_STORED_SIZE,
      ]);
    });

    it.each([
      ["HTML", "<!doctype html><script>alert(document.cookie)</script>", avatarMessages.rule],
      [
        "SVG",
        '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="1" height="1"/></svg>',
        avatarMessages.rule,
      ],
      ["plain text", "hello, I am not an image", avatarMessages.rule],
      ["GIF", Buffer.from("GIF89a\x01\x00\x01\x00\x00\x00\x00;", "latin1"), avatarMessages.rule],
      ["an empty body", "", avatarMessages.rule],
      ["a truncated PNG signature", Buffer.from([0x89, 0x50, 0x4e, 0x47]), avatarMessages.rule],
      [
        "a PNG signature followed by garbage",
        Buffer.concat([pngBytes().subarray(0, 8), Buffer.from("not really a picture")]),
        avatarMessages.unreadable,
      ],
      ["a JPEG cut in half", JPEG.subarray(0, Math.floor(JPEG.length / 2)), avatarMessages.unreadable],
    ])("refuses %s labelled image/png with 415 and keeps the old avatar", async (_kind, body, message) => {
      const before = (await owner.client.get("/api/auth/session")).body.user.avatarUrl;
      const res = await upload(owner.client, body);
      expect(res.status).toBe(415);
      expect(res.body.error).toEqual({ code: "unsupported_media_type", message });
      expect((await owner.client.get("/api/auth/session")).body.user.avatarUrl).toBe(before);
      const image = await ctx.client().get(`/api/users/${owner.user.id}/avatar`);
      expect(image.headers.get("content-type")).toMatch(/^image\/(png|jpeg|webp)$/);
      expect(image.text).not.toContain("<");
    });

    it("refuses a decompression bomb (too many pixels) with 413 before decoding it", async () => {
      // A valid PNG header declaring 9000×8000 = 72 megapixels (over the 64 MP cap, 216 MB once decoded) in a
      // file of a few dozen bytes: only reading the header before decoding can refuse it this cheaply.
      const bomb = pngBytes();
      bomb.writeUInt32BE(9000, 16);
      bomb.writeUInt32BE(8000, 20);
      bomb.writeUInt32BE(crc32(bomb.subarray(12, 29)), 29);
      const before = (await owner.client.get("/api/auth/session")).body.user.avatarUrl;
      const started = performance.now();
      const res = await upload(owner.client, bomb);
      expect(res.status).toBe(413);
      expect(res.body.error).toEqual({ code: "payload_too_large", message: avatarMessages.tooManyPixels });
      // Refused from the header: decoding 72 MP would take far longer.
      expect(performance.now() - started).toBeLessThan(2000);
      expect((await owner.client.get("/api/auth/session")).body.user.avatarUrl).toBe(before);
    });

    it("accepts a phone-sized photo (a 12 MP JPEG of several MB)", async () => {
      // Noise does not compress: a 4000×3000 JPEG of it weighs what a camera's does.
      const width = 4000;
      const height = 3000;
      const noise = Buffer.alloc(width * height * 3);
      for (let i = 0; i < noise.length; i += 4) noise.writeUInt32LE((Math.random() * 0xffffffff) >>> 0, i);
      const photo = await sharp(noise, { raw: { width, height, channels: 3 } })
        .jpeg({ quality: 80 })
        .toBuffer();
      expect(photo.length).toBeGreaterThan(2 * MiB);
      expect(photo.length).toBeLessThan(10 * MiB);
      const res = await upload(owner.client, photo, "image/jpeg");
      expect(res.status).toBe(200);
      const { metadata } = await storedAvatar(ctx, res.body.user.avatarUrl);
      expect(metadata).toMatchObject({ width: AVATAR_STORED_SIZE, height: AVATAR_STORED_SIZE });
    });

    it("accepts exactly 10 MiB and refuses 10 MiB + 1 byte with 413, by Content-Length and when streamed", async () => {
      const padded = (size: number) => Buffer.concat([pngBytes(), Buffer.alloc(size - pngBytes().length)]);
      expect((await upload(owner.client, padded(10 * MiB))).status).toBe(200);

      const tooBig = padded(10 * MiB + 1);
      const declared = await upload(owner.client, tooBig, "image/png", { "content-length": String(tooBig.length) });
      expect(declared.status).toBe(413);
      expect(declared.body.error).toEqual({ code: "payload_too_large", message: avatarMessages.rule });

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

    it("keeps the JSON routes at 64 KiB: only the avatar route takes large bodies", async () => {
      const res = await owner.client.request("PATCH", "/api/account/profile", {
        body: JSON.stringify({ name: "Ada", padding: "x".repeat(70 * 1024) }),
        headers: { "content-type": "application/json" },
      });
      expect(res.status).toBe(413);
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
