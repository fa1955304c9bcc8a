import { describe, expect, it } from "vitest";
import { sniffImageType } from "../../src/core/account";

const PNG = Buffer.from([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
]);
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46]);
const WEBP = Buffer.concat([Buffer.from("RIFF"), Buffer.from([0x24, 0x00, 0x00, 0x00]), Buffer.from("WEBPVP8 ")]);

describe("sniffImageType", () => {
  it("recognises PNG, JPEG and WebP by their magic bytes", () => {
    expect(sniffImageType(PNG)).toBe("image/png");
    expect(sniffImageType(JPEG)).toBe("image/jpeg");
    expect(sniffImageType(WEBP)).toBe("image/webp");
  });

  it("recognises the bare minimum headers", () => {
    expect(sniffImageType(PNG.subarray(0, 8))).toBe("image/png");
    expect(sniffImageType(JPEG.subarray(0, 3))).toBe("image/jpeg");
    expect(sniffImageType(WEBP.subarray(0, 12))).toBe("image/webp");
  });

  it.each([
    ["empty", Buffer.alloc(0)],
    ["GIF87a", Buffer.from("GIF87a\x01\x00\x01\x00", "latin1")],
    ["GIF89a", Buffer.from("GIF89a\x01\x00\x01\x00", "latin1")],
    ["SVG", Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')],
    ["SVG with XML prolog", Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>')],
    ["HTML", Buffer.from("<!doctype html><html><body><script>alert(1)</script></body></html>")],
    ["text", Buffer.from("hello, world")],
    ["PDF", Buffer.from("%PDF-1.7\n")],
    ["WAV (RIFF but not WEBP)", Buffer.concat([Buffer.from("RIFF"), Buffer.alloc(4), Buffer.from("WAVEfmt ")])],
    ["truncated PNG", PNG.subarray(0, 7)],
    ["truncated JPEG", JPEG.subarray(0, 2)],
    ["truncated WebP", WEBP.subarray(0, 11)],
    ["PNG signature with one byte wrong", Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0b])],
    ["HTML after leading whitespace", Buffer.from("   <html>")],
  ])("refuses %s", (_label, bytes) => {
    expect(sniffImageType(bytes)).toBeNull();
  });

  it("looks at the bytes, not at an extension-like prefix", () => {
    // A polyglot that starts as HTML but contains a PNG signature later is still not a PNG.
    expect(sniffImageType(Buffer.concat([Buffer.from("<html>"), PNG]))).toBeNull();
  });
});
