import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
  randomInt,
  timingSafeEqual,
} from "node:crypto";

/** 128 bits from the CSPRNG, base64url: ids that are also unguessable. */
export function randomId(bytes = 16): string {
  return randomBytes(bytes).toString("base64url");
}

export function sha256(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

export function hmac(key: Buffer, ...parts: string[]): Buffer {
  const mac = createHmac("sha256", key);
  // Length-prefix each part so ("ab","c") and ("a","bc") never collide.
  for (const part of parts) mac.update(`${Buffer.byteLength(part)}:${part}`);
  return mac.digest();
}

export function constantTimeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A random numeric code from the CSPRNG (randomInt is uniform, no modulo bias). */
export function randomDigits(length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += String(randomInt(10));
  return out;
}

/**
 * A split token `id.secret`: the row is found by `id`, then the secret's hash is compared in constant time
 * (an index lookup by the hash itself would not be a constant-time comparison).
 */
export interface SplitToken {
  id: string;
  secret: string;
  token: string;
}

export function generateSplitToken(): SplitToken {
  const id = randomId(16);
  // 256 bits of secret; the id adds 128 more that are not relied on.
  const secret = randomBytes(32).toString("base64url");
  return { id, secret, token: `${id}.${secret}` };
}

export function parseSplitToken(token: unknown): { id: string; secret: string } | null {
  if (typeof token !== "string" || token.length > 200) return null;
  const match = /^([A-Za-z0-9_-]{16,64})\.([A-Za-z0-9_-]{32,128})$/.exec(token);
  return match ? { id: match[1]!, secret: match[2]! } : null;
}

/** AES-256-GCM with a key derived from SECRET for one purpose; output is iv ‖ tag ‖ ciphertext. */
export function sealer(secret: Buffer, purpose: string) {
  const key = Buffer.from(hkdfSync("sha256", secret, Buffer.alloc(0), `twofold:${purpose}`, 32));
  return {
    seal(plain: string): Buffer {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]);
    },
    open(sealed: Buffer): string {
      // Without authTagLength, Node accepts a tag as short as 4 bytes: a sealed value under 28 bytes would be
      // checked against a truncated tag (2^-32 forgery odds for an empty payload). Insist on all 16 bytes.
      const decipher = createDecipheriv("aes-256-gcm", key, sealed.subarray(0, 12), { authTagLength: 16 });
      decipher.setAuthTag(sealed.subarray(12, 28));
      return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString("utf8");
    },
  };
}
