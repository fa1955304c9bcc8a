import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { RegistrationResponseJSON } from "@simplewebauthn/server";
import {
  deletePasskey,
  listPasskeys,
  PASSKEY_NAME_MAX_LENGTH,
  passkeyRegistrationOptions,
  presentPasskey,
  registerPasskey,
  renamePasskey,
} from "../../core/passkeys";
import { presentUser } from "../../core/present";
import type { AppEnv } from "../env";
import { failureResponse } from "../errors";
import { clientInfo, requireSession, signedIn } from "../middleware/session";
import { errors, jsonBody, noContent, Password, STEP_UP_ERROR, User } from "../schemas";
import { validationHook } from "../validation";

const tag = ["Passkeys"];
const unauthenticated: [number, string] = [401, "unauthenticated"];

// WebAuthn credential ids are at most 1023 bytes (WebAuthn L3 4), 1364 characters in base64url.
export const CredentialId = z.string().regex(/^[A-Za-z0-9_-]{1,1400}$/, { message: "Not a passkey id." });
export const Base64Url = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[A-Za-z0-9_-]*$/, { message: "Not base64url." });
// Refused, not stripped, like a display name (schemas.ts Name): the list shows what was typed.
const PasskeyName = z
  .string()
  .trim()
  .min(1, { message: "Enter a name." })
  .max(PASSKEY_NAME_MAX_LENGTH, { message: `Use at most ${PASSKEY_NAME_MAX_LENGTH} characters.` })
  .refine((name) => !/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(name), {
    message: "Remove line breaks and invisible or control characters.",
  });

/** What @simplewebauthn/browser's startRegistration returns; the library checks every byte of it. */
const RegistrationResponse = z.looseObject({
  id: CredentialId,
  rawId: CredentialId,
  type: z.literal("public-key"),
  response: z.looseObject({
    clientDataJSON: Base64Url(8192),
    attestationObject: Base64Url(32768),
    transports: z.array(z.string().max(32)).optional(),
  }),
  clientExtensionResults: z.looseObject({}).default({}),
  authenticatorAttachment: z.string().max(32).optional(),
});

/** What @simplewebauthn/browser's startAuthentication returns. */
export const AuthenticationResponse = z.looseObject({
  id: CredentialId,
  rawId: CredentialId,
  type: z.literal("public-key"),
  response: z.looseObject({
    clientDataJSON: Base64Url(8192),
    authenticatorData: Base64Url(8192),
    signature: Base64Url(2048),
    userHandle: Base64Url(128).optional(),
  }),
  clientExtensionResults: z.looseObject({}).default({}),
  authenticatorAttachment: z.string().max(32).optional(),
});

const PasskeyItem = z
  .object({
    id: z.string(),
    name: z.string(),
    createdAt: z.string().datetime(),
    lastUsedAt: z.string().datetime().nullable(),
    backedUp: z.boolean(),
  })
  .openapi("Passkey");

export const webauthnOptions = (description: string) => ({
  200: { description, content: { "application/json": { schema: z.looseObject({ challenge: z.string() }) } } },
});

export const accountPasskeyRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
accountPasskeyRoutes.use("*", requireSession());

accountPasskeyRoutes
  .openapi(
    createRoute({
      method: "get",
      path: "/",
      tags: tag,
      summary: "The signed-in user's passkeys",
      responses: {
        200: {
          description: "Oldest first",
          content: { "application/json": { schema: z.object({ passkeys: z.array(PasskeyItem) }) } },
        },
        ...errors(unauthenticated),
      },
    }),
    async (c) => {
      const passkeys = await listPasskeys(c.var.services.deps, signedIn(c).user);
      return c.json({ passkeys: passkeys.map(presentPasskey) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/options",
      tags: tag,
      summary: "Options for navigator.credentials.create (PublicKeyCredentialCreationOptionsJSON); 5 minutes",
      request: jsonBody(z.object({ currentPassword: Password })),
      responses: {
        ...webauthnOptions("Registration options"),
        ...errors([401, "invalid_credentials (wrong current password) or unauthenticated"], STEP_UP_ERROR, [
          429,
          "rate_limited",
        ]),
      },
    }),
    async (c) => {
      const { user, session } = signedIn(c);
      const result = await passkeyRegistrationOptions(
        c.var.services.deps,
        user,
        session,
        c.req.valid("json"),
        clientInfo(c),
      );
      return result.ok ? c.json(result.options, 200) : failureResponse(c, result);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/",
      tags: tag,
      summary: "Register the passkey made for the options; the first second factor also returns recovery codes",
      request: jsonBody(z.object({ response: RegistrationResponse, name: PasskeyName.optional() })),
      responses: {
        201: {
          description: "Registered; this session counts as having passed a second factor now",
          content: {
            "application/json": {
              schema: z.object({
                passkey: PasskeyItem,
                user: User,
                recoveryCodes: z.array(z.string()).optional(),
              }),
            },
          },
        },
        ...errors(
          [400, "invalid_request: the response does not verify"],
          unauthenticated,
          [409, "passkey_exists, or credentials_changed (start again)"],
          [410, "challenge_expired: the options expired or were used"],
        ),
      },
    }),
    async (c) => {
      const { user, session } = signedIn(c);
      const body = c.req.valid("json");
      const result = await registerPasskey(
        c.var.services.deps,
        user,
        session,
        { response: body.response as unknown as RegistrationResponseJSON, name: body.name },
        clientInfo(c),
      );
      if (!result.ok) return failureResponse(c, result);
      return c.json(
        {
          passkey: presentPasskey(result.passkey),
          user: presentUser(result.user),
          ...(result.recoveryCodes ? { recoveryCodes: result.recoveryCodes } : {}),
        },
        201,
      );
    },
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/{id}",
      tags: tag,
      summary: "Rename a passkey",
      request: { params: z.object({ id: CredentialId }), ...jsonBody(z.object({ name: PasskeyName })) },
      responses: {
        200: {
          description: "Renamed",
          content: { "application/json": { schema: z.object({ passkey: PasskeyItem }) } },
        },
        ...errors([400, "invalid_request"], unauthenticated, [404, "not_found: no such passkey of yours"]),
      },
    }),
    async (c) => {
      const result = await renamePasskey(
        c.var.services.deps,
        signedIn(c).user,
        c.req.valid("param").id,
        c.req.valid("json"),
        clientInfo(c),
      );
      return result.ok ? c.json({ passkey: presentPasskey(result.passkey) }, 200) : failureResponse(c, result);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/{id}",
      tags: tag,
      summary: "Delete a passkey; the last real second factor going turns two-factor off",
      request: { params: z.object({ id: CredentialId }), ...jsonBody(z.object({ currentPassword: Password })) },
      responses: {
        ...noContent,
        ...errors(
          [400, "invalid_request"],
          [401, "invalid_credentials (wrong current password) or unauthenticated"],
          STEP_UP_ERROR,
          [404, "not_found: no such passkey of yours"],
          [429, "rate_limited"],
        ),
      },
    }),
    async (c) => {
      const { user, session } = signedIn(c);
      const result = await deletePasskey(
        c.var.services.deps,
        user,
        session,
        c.req.valid("param").id,
        c.req.valid("json"),
        clientInfo(c),
      );
      return result.ok ? c.body(null, 204) : failureResponse(c, result);
    },
  );
