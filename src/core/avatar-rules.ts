/**
 * What an avatar upload may be, and the words for "no": one source for the API and the profile page, so the two
 * never disagree again (they once said "1 MB" and "1 MiB", and two wordings of the type error). No imports: the
 * page bundles this file.
 */

export const AVATAR_TYPES = ["image/png", "image/jpeg", "image/webp"] as const;
export type AvatarType = (typeof AVATAR_TYPES)[number];

/** 10 MiB: a phone photo straight from the camera fits. Messages say "10 MB"; we accept a little more, never less. */
export const AVATAR_MAX_BYTES = 10 * 1024 * 1024;

/**
 * Decoded size cap, checked from the header before any pixel is decoded: a few KB of PNG can declare a
 * 100 000 × 100 000 image (a decompression bomb). 64 megapixels covers the 48/50 MP modes of today's phones.
 */
export const AVATAR_MAX_PIXELS = 64 * 1024 * 1024;

/** The stored form: a small square, re-encoded (which also drops EXIF, GPS included, and every other metadata). */
export const AVATAR_STORED_SIZE = 256;
export const AVATAR_STORED_TYPE = "image/webp";

export const avatarMessages = {
  /** Wrong type and too many bytes get the same sentence: it states the whole rule. */
  rule: "Choose a PNG, JPEG or WebP image of up to 10 MB.",
  unreadable: "That image could not be read (it may be damaged). Choose a PNG, JPEG or WebP image of up to 10 MB.",
  tooManyPixels: "That image is too large (more than 64 megapixels). Choose a smaller one.",
  hint: "PNG, JPEG or WebP, up to 10 MB. Cropped to a square.",
} as const;
