import { Secret, TOTP, URI } from "otpauth";
import { sealer } from "./crypto";
import type { Deps } from "./deps";

/*
 * Authenticator apps (RFC 6238), with the parameters every app supports: SHA-1, 30-second steps, 6 digits. A code
 * is accepted one step either side of now (clock drift, RFC 6238 §5.2), once: the step it matched is recorded,
 * and a code for that step or an earlier one is refused afterwards, so a code seen over a shoulder or phished
 * cannot be replayed. The shared secret is sealed at rest with a key derived from SECRET.
 */

export const TOTP_PERIOD_SECONDS = 30;
const DIGITS = 6;
const ALGORITHM = "SHA1";
/** 160 bits, the HMAC-SHA-1 block RFC 4226 recommends. */
const SECRET_BYTES = 20;
/** How long a started set-up waits for its first code before it has to be started again. */
export const TOTP_SETUP_LIFETIME_SECONDS = 15 * 60;

const totpSealer = (deps: Pick<Deps, "config">) => sealer(deps.config.secret, "totp-secret");

export function newTotpSecret(): string {
  return new Secret({ size: SECRET_BYTES }).base32;
}

export function sealTotpSecret(deps: Pick<Deps, "config">, base32: string): Buffer {
  return totpSealer(deps).seal(base32);
}

export function openTotpSecret(deps: Pick<Deps, "config">, sealed: Buffer): string {
  return totpSealer(deps).open(sealed);
}

function totpFor(deps: Pick<Deps, "config">, base32: string, accountName: string): TOTP {
  return new TOTP({
    issuer: deps.config.appName,
    label: accountName,
    algorithm: ALGORITHM,
    digits: DIGITS,
    period: TOTP_PERIOD_SECONDS,
    secret: Secret.fromBase32(base32),
  });
}

/** The `otpauth://` URI an app scans (the QR code's content). */
export function totpUri(deps: Pick<Deps, "config">, base32: string, accountName: string): string {
  return URI.stringify(totpFor(deps, base32, accountName));
}

/**
 * The 30-second step the code belongs to, if it is right for now ±1 step; null otherwise. The caller then takes
 * that step once (a conditional update), which is what makes the code single use.
 */
export function matchTotpStep(deps: Pick<Deps, "config" | "now">, base32: string, code: string): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const timestamp = deps.now().getTime();
  const delta = totpFor(deps, base32, "").validate({ token: code, timestamp, window: 1 });
  if (delta === null) return null;
  return Math.floor(timestamp / 1000 / TOTP_PERIOD_SECONDS) + delta;
}
