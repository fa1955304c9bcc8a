import { createHash, createPublicKey, generateKeyPairSync, type KeyObject, randomBytes, sign } from "node:crypto";
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from "@simplewebauthn/server";
import { isoCBOR } from "@simplewebauthn/server/helpers";

/**
 * A software authenticator for tests (WebAuthn L3 6): P-256 keys made with node:crypto, "none" attestation,
 * authenticator data with the RP ID hash, the UP/UV/AT flags and a signature counter, and ES256 assertions in
 * DER, as a browser's navigator.credentials would hand them to @simplewebauthn/browser.
 */

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;

const b64url = (bytes: Uint8Array | Buffer) => Buffer.from(bytes).toString("base64url");
const sha256 = (bytes: Uint8Array | Buffer | string) => createHash("sha256").update(bytes).digest();

export interface SoftCredential {
  id: string;
  privateKey: KeyObject;
  /** The WebAuthn user handle the RP gave at registration (base64url). */
  userHandle: string;
  rpId: string;
  signCount: number;
}

export interface AuthenticatorOptions {
  /** The origin the "browser" reports in clientDataJSON. */
  origin: string;
  /** Counter behaviour: "increment" (a security key) or "zero" (a synced passkey that keeps none). */
  counter?: "increment" | "zero";
}

function authenticatorData(rpId: string, flags: number, signCount: number, attested?: Buffer): Buffer {
  const count = Buffer.alloc(4);
  count.writeUInt32BE(signCount);
  return Buffer.concat([sha256(rpId), Buffer.from([flags]), count, ...(attested ? [attested] : [])]);
}

function coseP256PublicKey(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: "jwk" });
  const key = new Map<number, number | Uint8Array>([
    [1, 2], // kty: EC2
    [3, -7], // alg: ES256
    [-1, 1], // crv: P-256
    [-2, new Uint8Array(Buffer.from(jwk.x!, "base64url"))],
    [-3, new Uint8Array(Buffer.from(jwk.y!, "base64url"))],
  ]);
  return Buffer.from(isoCBOR.encode(key));
}

function clientData(type: "webauthn.create" | "webauthn.get", challenge: string, origin: string): Buffer {
  return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
}

export class SoftAuthenticator {
  readonly credentials: SoftCredential[] = [];
  constructor(private readonly options: AuthenticatorOptions) {}

  /**
   * navigator.credentials.create: a new discoverable credential for the options' RP and user. `reuse` attests an
   * existing credential again (what excludeCredentials exists to stop); `origin` is the page that asked.
   */
  register(
    options: PublicKeyCredentialCreationOptionsJSON,
    {
      userVerified = true,
      reuse,
      origin = this.options.origin,
    }: { userVerified?: boolean; reuse?: SoftCredential; origin?: string } = {},
  ): RegistrationResponseJSON {
    const { privateKey, publicKey } = reuse
      ? { privateKey: reuse.privateKey, publicKey: createPublicKey(reuse.privateKey) }
      : generateKeyPairSync("ec", { namedCurve: "P-256" });
    const credentialId = reuse ? Buffer.from(reuse.id, "base64url") : randomBytes(32);
    const rpId = options.rp.id ?? new URL(this.options.origin).hostname;
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(credentialId.length);
    const attested = Buffer.concat([Buffer.alloc(16), idLength, credentialId, coseP256PublicKey(publicKey)]);
    const flags = FLAG_UP | FLAG_AT | (userVerified ? FLAG_UV : 0);
    const authData = authenticatorData(rpId, flags, 0, attested);
    const attestationObject = isoCBOR.encode(
      new Map<string, unknown>([
        ["fmt", "none"],
        ["attStmt", new Map()],
        ["authData", new Uint8Array(authData)],
      ]) as Parameters<typeof isoCBOR.encode>[0],
    );
    const credential: SoftCredential = {
      id: b64url(credentialId),
      privateKey,
      userHandle: options.user.id,
      rpId,
      signCount: 0,
    };
    if (!reuse) this.credentials.push(credential);
    return {
      id: credential.id,
      rawId: credential.id,
      type: "public-key",
      response: {
        clientDataJSON: b64url(clientData("webauthn.create", options.challenge, origin)),
        attestationObject: b64url(attestationObject),
        transports: ["internal"],
      },
      clientExtensionResults: {},
      authenticatorAttachment: "platform",
    };
  }

  /**
   * navigator.credentials.get: an assertion by `credential` (default: the first allowed one, else the newest).
   * `signCount` overrides the counter (a clone replaying an old one); `userHandle` what the authenticator reports.
   */
  assert(
    options: PublicKeyCredentialRequestOptionsJSON,
    overrides: {
      credential?: SoftCredential;
      userVerified?: boolean;
      signCount?: number;
      userHandle?: string;
      origin?: string;
    } = {},
  ): AuthenticationResponseJSON {
    const allowed = options.allowCredentials?.map((c) => c.id);
    const credential =
      overrides.credential ??
      (allowed?.length
        ? this.credentials.find((c) => allowed.includes(c.id))
        : this.credentials[this.credentials.length - 1]);
    if (!credential) throw new Error("no credential for these options");
    if (overrides.signCount !== undefined) credential.signCount = overrides.signCount;
    else if ((this.options.counter ?? "increment") === "increment") credential.signCount++;
    const flags = FLAG_UP | ((overrides.userVerified ?? true) ? FLAG_UV : 0);
    const authData = authenticatorData(options.rpId ?? credential.rpId, flags, credential.signCount);
    const clientDataJSON = clientData("webauthn.get", options.challenge, overrides.origin ?? this.options.origin);
    const signature = sign("sha256", Buffer.concat([authData, sha256(clientDataJSON)]), credential.privateKey);
    return {
      id: credential.id,
      rawId: credential.id,
      type: "public-key",
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        userHandle: overrides.userHandle ?? credential.userHandle,
      },
      clientExtensionResults: {},
      authenticatorAttachment: "platform",
    };
  }
}
