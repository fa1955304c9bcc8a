import { AVATAR_MAX_PIXELS, AVATAR_STORED_SIZE, AVATAR_STORED_TYPE } from "./avatar-rules";

export type NormalisedAvatar =
  | { ok: true; contentType: typeof AVATAR_STORED_TYPE; bytes: Buffer }
  | { ok: false; reason: "too_many_pixels" | "unreadable" };

// Loaded on the first upload only: libvips is a large native library most processes never need.
let sharpModule: Promise<typeof import("sharp")> | undefined;
async function loadSharp() {
  sharpModule ??= import("sharp").then((module) => {
    const sharp = module.default;
    // Each avatar is decoded once: libvips' operation cache would only hold memory.
    sharp.cache(false);
    return module;
  });
  return (await sharpModule).default;
}

/**
 * At most this many decodes at once per process: a 64-megapixel image takes about 256 MB decoded, so 50 parallel
 * uploads must queue rather than all inflate together. Avatars change rarely; a short wait is fine.
 */
const MAX_PARALLEL_DECODES = 2;
let decoding = 0;
const waiting: Array<() => void> = [];

async function withDecodeSlot<T>(work: () => Promise<T>): Promise<T> {
  if (decoding >= MAX_PARALLEL_DECODES) await new Promise<void>((resolve) => waiting.push(resolve));
  else decoding++;
  try {
    return await work();
  } finally {
    // Hand the slot straight to the next in line, or free it.
    const next = waiting.shift();
    if (next) next();
    else decoding--;
  }
}

/**
 * Decodes the upload and re-encodes it as a small WebP square (centre crop, turned upright per its EXIF
 * orientation). Nothing of the original file survives but pixels: no EXIF (GPS, camera serial), XMP, ICC or
 * comments, and no payload hidden after the image data.
 */
export async function normaliseAvatar(bytes: Buffer): Promise<NormalisedAvatar> {
  const sharp = await loadSharp();
  return withDecodeSlot(() => reencode(sharp, bytes));
}

async function reencode(sharp: typeof import("sharp").default, bytes: Buffer): Promise<NormalisedAvatar> {
  try {
    const output = await sharp(bytes, {
      // Checked against the header's dimensions before decoding: a bomb is refused without being inflated.
      limitInputPixels: AVATAR_MAX_PIXELS,
      // Damaged or truncated data is refused; harmless encoder quirks (common in phone JPEGs) are not.
      failOn: "error",
      // An animated WebP becomes its first frame.
      pages: 1,
    })
      .autoOrient()
      .resize(AVATAR_STORED_SIZE, AVATAR_STORED_SIZE, { fit: "cover", position: "centre" })
      .webp({ quality: 82, effort: 4 })
      .toBuffer();
    return { ok: true, contentType: AVATAR_STORED_TYPE, bytes: output };
  } catch (error) {
    if (error instanceof Error && /pixel limit/i.test(error.message)) return { ok: false, reason: "too_many_pixels" };
    return { ok: false, reason: "unreadable" };
  }
}
