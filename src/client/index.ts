/**
 * Typed client for the Twofold HTTP API. Framework-free: it needs only `fetch`, so it runs in browsers,
 * Node ≥ 20, workers, and inside the server itself (pass an in-process `fetch`).
 */
import { errorFromResponse, TwofoldError } from "./errors";
import type { PublicKeyCredentialCreationOptionsJSON, RegistrationResponseJSON } from "@simplewebauthn/browser";
import type { AuthenticationResponseJSON, PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/browser";
import type {
  AccountRecoveryStatus,
  CodeSent,
  SecondFactorProof,
  StepUpSent,
  FactorAdded,
  Passkey,
  TotpSetup,
  TrustedBrowser,
  OutboxMessage,
  PendingPhoneVerification,
  PhoneVerification,
  SecurityEvent,
  Session,
  SignedIn,
  SignInResult,
  StepUpMethod,
  StepUpState,
  TwoFactorChallengeStatus,
  User,
  VerifyEmailResult,
} from "./types";

export * from "./types";
export { TwofoldError, attemptsLeftOf, isTwofoldError, parseRetryAfter, type TwofoldErrorCode } from "./errors";

export interface TwofoldClientOptions {
  /** Origin (and optional prefix) of the server; "" means same origin, as in the web app. */
  baseUrl?: string;
  fetch?: typeof globalThis.fetch;
  /**
   * Sent on every request, e.g. `{ authorization: "Bearer …" }` for non-browser clients. A function is called per
   * request.
   */
  headers?: HeadersInit | (() => HeadersInit);
}

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export type TwofoldClient = ReturnType<typeof createTwofoldClient>;

export function createTwofoldClient(options: TwofoldClientOptions = {}) {
  const baseUrl = (options.baseUrl ?? "").replace(/\/+$/, "");
  // Bound so that `window.fetch` is not called with the client as `this` ("Illegal invocation").
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);

  async function send(method: Method, path: string, body?: BodyInit | object, contentType?: string): Promise<Response> {
    const headers = new Headers(typeof options.headers === "function" ? options.headers() : options.headers);
    headers.set("accept", "application/json");
    let payload: BodyInit | undefined;
    if (body instanceof Blob || body instanceof ArrayBuffer || ArrayBuffer.isView(body)) {
      payload = body as BodyInit;
      if (contentType) headers.set("content-type", contentType);
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers.set("content-type", "application/json");
    }
    let response: Response;
    try {
      // credentials: "include" so the session cookie travels even when the app and API are on sibling origins.
      response = await fetchImpl(baseUrl + path, { method, headers, body: payload, credentials: "include" });
    } catch (cause) {
      throw new TwofoldError({
        status: 0,
        code: "network_error",
        message: "Could not reach the server. Check your connection and try again.",
        details: { cause },
      });
    }
    if (!response.ok) throw await errorFromResponse(response);
    return response;
  }

  async function json<T>(method: Method, path: string, body?: object): Promise<T> {
    const response = await send(method, path, body);
    return (await response.json()) as T;
  }

  async function empty(method: Method, path: string, body?: object): Promise<void> {
    const response = await send(method, path, body);
    // Drain the body so keep-alive connections are reused in Node.
    await response.arrayBuffer().catch(() => undefined);
  }

  return {
    // Accounts (email + password)
    signUp: (input: { email: string; password: string; name: string }) =>
      json<{ status: "verification_sent" }>("POST", "/api/auth/sign-up", input),
    resendVerification: (input: { email: string }) => empty("POST", "/api/auth/resend-verification", input),
    verifyEmail: (input: { token: string }) => json<VerifyEmailResult>("POST", "/api/auth/verify-email", input),
    signIn: (input: { email: string; password: string }) => json<SignInResult>("POST", "/api/auth/sign-in", input),
    signOut: () => empty("POST", "/api/auth/sign-out"),
    getSession: () => json<SignedIn>("GET", "/api/auth/session"),
    forgotPassword: (input: { email: string }) => empty("POST", "/api/auth/forgot-password", input),
    resetPassword: (input: { token: string; password: string }) => empty("POST", "/api/auth/reset-password", input),
    /** Whether a reset link still works (resolves) or is used or expired (`invalid_token`), without using it. */
    checkResetToken: (input: { token: string }) => empty("POST", "/api/auth/reset-password/check", input),
    confirmEmailChange: (input: { token: string }) =>
      json<{ user: User }>("POST", "/api/auth/confirm-email-change", input),
    /** The link emailed after 100 failed sign-ins in a row; it lifts the lock, it does not sign in. */
    unlockSignIn: (input: { token: string }) => json<{ status: "unlocked" }>("POST", "/api/auth/unlock", input),

    // Second factor at sign-in. The browser's challenge cookie names the challenge, so `challengeId` is only
    // needed by clients without cookies (it comes from `signIn`'s `challenge.id`).
    getTwoFactorChallenge: () => json<TwoFactorChallengeStatus>("GET", "/api/auth/two-factor/challenge"),
    /**
     * Starts a method's step: `sms` texts a code (a second call is a resend: 60 s cooldown); `passkey` answers the
     * options for @simplewebauthn/browser's `startAuthentication`.
     */
    sendTwoFactorCode: <M extends "sms" | "passkey" = "sms">(
      input: { challengeId?: string; method: M } = { method: "sms" as M },
    ) =>
      json<M extends "passkey" ? PublicKeyCredentialRequestOptionsJSON : CodeSent>(
        "POST",
        "/api/auth/two-factor/send",
        input,
      ),
    /**
     * Ends in a session (and its cookie) on a right proof. `trustDevice` also makes this browser skip the second
     * step for 30 days (a cookie).
     */
    verifyTwoFactor: (input: { challengeId?: string; trustDevice?: boolean } & SecondFactorProof) =>
      json<SignedIn>("POST", "/api/auth/two-factor/verify", input),
    /**
     * From a sign-in challenge (the password is proved) with no second factor at hand: emails a link that starts
     * the 24-hour wait before every second factor is removed. 404 `not_found` when the server has it off.
     */
    requestAccountRecovery: (input: { challengeId?: string } = {}) =>
      empty("POST", "/api/auth/account-recovery", input),
    /** The emailed link's token: starts the wait and tells the owner on every channel. */
    confirmAccountRecovery: (input: { token: string }) =>
      json<AccountRecoveryStatus>("POST", "/api/auth/account-recovery/confirm", input),
    /** Passwordless sign-in: options for a discoverable passkey (any account), then its assertion. */
    passkeySignInOptions: () => json<PublicKeyCredentialRequestOptionsJSON>("POST", "/api/auth/passkey/options", {}),
    signInWithPasskey: (input: { response: AuthenticationResponseJSON }) =>
      json<SignedIn>("POST", "/api/auth/passkey", input),

    // Account (signed in)
    updateProfile: (input: { name: string }) => json<{ user: User }>("PATCH", "/api/account/profile", input),
    /** Sends the image as the raw request body; the server accepts png, jpeg and webp up to 1 MiB. */
    uploadAvatar: async (image: Blob, contentType = image.type): Promise<{ user: User }> => {
      const response = await send("PUT", "/api/account/avatar", image, contentType || "application/octet-stream");
      return (await response.json()) as { user: User };
    },
    deleteAvatar: () => empty("DELETE", "/api/account/avatar"),
    /**
     * Rotates the session: a browser gets a new session cookie with the answer, and the old token stops working.
     * A bearer client gets its new token back here (from `X-Session-Token`) and must send it from now on.
     */
    changePassword: async (input: {
      currentPassword: string;
      newPassword: string;
    }): Promise<{ token: string | null }> => {
      const response = await send("POST", "/api/account/password", input);
      await response.arrayBuffer().catch(() => undefined);
      return { token: response.headers.get("x-session-token") };
    },
    changeEmail: (input: { currentPassword: string; newEmail: string }) => empty("POST", "/api/account/email", input),
    /** Deletes the signed-in account for good (every session ends; 403 second_factor_required → step up first). */
    deleteAccount: (input: { currentPassword: string }) => empty("DELETE", "/api/account", input),
    listSessions: () => json<{ sessions: Session[] }>("GET", "/api/account/sessions"),
    revokeSession: (id: string) => empty("DELETE", `/api/account/sessions/${encodeURIComponent(id)}`),
    revokeOtherSessions: () => empty("POST", "/api/account/sessions/revoke-others"),
    listSecurityEvents: () => json<{ events: SecurityEvent[] }>("GET", "/api/account/security-events"),

    // Phone number and SMS two-factor (signed in). A new number only replaces the old one once its code is verified.
    /** Texts a code to `phoneNumber` (E.164); answers 202 with the pending verification. */
    startPhoneVerification: (input: { phoneNumber: string; currentPassword: string }) =>
      json<PhoneVerification>("POST", "/api/account/phone", input),
    /** The pending verification, or a 404 `not_found` TwofoldError when there is none. */
    getPhoneVerification: () => json<PendingPhoneVerification>("GET", "/api/account/phone/verification"),
    resendPhoneCode: (input: { verificationId: string }) => json<CodeSent>("POST", "/api/account/phone/resend", input),
    verifyPhone: (input: { verificationId: string; code: string }) =>
      json<{ user: User }>("POST", "/api/account/phone/verify", input),
    /** Also turns SMS two-factor off. */
    removePhone: (input: { currentPassword: string }) => empty("DELETE", "/api/account/phone", input),
    /** Turning it on signs every other session out unless `signOutOthers` is false (those kept must step up later). */
    setSmsTwoFactor: (input: { enabled: boolean; currentPassword: string; signOutOthers?: boolean }) =>
      json<FactorAdded>("POST", "/api/account/two-factor/sms", input),

    // Authenticator app (TOTP) and recovery codes (signed in; step-up applies).
    /** A new secret, pending until `confirmTotp` proves the app holds it. */
    setupTotp: (input: { currentPassword: string }) =>
      json<TotpSetup>("POST", "/api/account/two-factor/totp/setup", input),
    confirmTotp: (input: { code: string }) => json<FactorAdded>("POST", "/api/account/two-factor/totp/confirm", input),
    removeTotp: (input: { currentPassword: string }) => empty("DELETE", "/api/account/two-factor/totp", input),
    /** 10 new codes; the old ones stop working. */
    regenerateRecoveryCodes: (input: { currentPassword: string }) =>
      json<{ codes: string[] }>("POST", "/api/account/recovery-codes", input),

    // Passkeys (signed in; adding and deleting need the password, and step-up applies).
    listPasskeys: () => json<{ passkeys: Passkey[] }>("GET", "/api/account/passkeys"),
    passkeyRegistrationOptions: (input: { currentPassword: string }) =>
      json<PublicKeyCredentialCreationOptionsJSON>("POST", "/api/account/passkeys/options", input),
    registerPasskey: (input: { response: RegistrationResponseJSON; name?: string }) =>
      json<FactorAdded & { passkey: Passkey }>("POST", "/api/account/passkeys", input),
    renamePasskey: (id: string, input: { name: string }) =>
      json<{ passkey: Passkey }>("PATCH", `/api/account/passkeys/${encodeURIComponent(id)}`, input),
    deletePasskey: (id: string, input: { currentPassword: string }) =>
      empty("DELETE", `/api/account/passkeys/${encodeURIComponent(id)}`, input),

    // Trusted browsers: those that skip the second step at sign-in.
    listTrustedBrowsers: () => json<{ trustedBrowsers: TrustedBrowser[] }>("GET", "/api/account/trusted-browsers"),
    revokeTrustedBrowser: (id: string) => empty("DELETE", `/api/account/trusted-browsers/${encodeURIComponent(id)}`),

    // Step-up: while two-factor is on, security changes (password, email, phone, the 2FA switch, signing other
    // sessions out) answer 403 `second_factor_required` unless this session passed a second factor in the last
    // 10 minutes. Send a code, prove it, then retry the change. Bound to the session that asked.
    /**
     * Texts a code to the account's verified number (a second call is a resend: 60 s cooldown, 429 `resend_too_soon`).
     */
    sendStepUpCode: (input: { method: "sms" | "passkey" } = { method: "sms" }) =>
      json<StepUpSent>("POST", "/api/account/step-up/send", input),
    /** This session's step-up in progress, or a 404 `not_found` TwofoldError when there is none. */
    getStepUp: () => json<StepUpState>("GET", "/api/account/step-up"),
    /**
     * The right code credits this session with a second factor for 10 minutes; `invalid_code` carries `attemptsLeft`.
     */
    stepUp: (code: string, method: Exclude<StepUpMethod, "passkey"> = "sms") =>
      empty("POST", "/api/account/step-up", { method, code }),
    /** Step-up with any factor: a code, or a passkey assertion made from `sendStepUpCode({method:"passkey"})`. */
    stepUpWith: (proof: SecondFactorProof) => empty("POST", "/api/account/step-up", proof),
    /**
     * The account recovery waiting to remove this account's second factors (`null` when none); a 404 `not_found`
     * TwofoldError when the server has account recovery off.
     */
    getAccountRecovery: () =>
      json<{ recovery: Required<AccountRecoveryStatus> | null }>("GET", "/api/account/account-recovery"),
    /** Stops a pending account recovery (someone else may have started it with a stolen password). */
    cancelAccountRecovery: () => empty("POST", "/api/account/account-recovery/cancel"),

    // Operations
    health: () => json<{ status: string }>("GET", "/api/health"),
    /** Dev mode only (404 in production): emails and SMS the server would have delivered, newest first. */
    devOutbox: () => json<{ messages: OutboxMessage[] }>("GET", "/api/dev/outbox"),
  };
}
