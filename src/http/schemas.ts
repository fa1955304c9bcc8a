import { z } from "@hono/zod-openapi";

export const Email = z
  .string()
  .trim()
  .max(254)
  .email({ message: "Enter a valid email address." })
  .openapi({ example: "ada@example.com" });
// Length policy (8–128) is core's, answered as weak_password; this only bounds what we are willing to hash.
export const Password = z
  .string()
  .min(1, { message: "Enter a password." })
  .max(1024)
  .openapi({ example: "correct horse battery staple" });
// A name is shown to others and greets its owner in emails, so it holds no control characters (Cc; PostgreSQL also
// refuses NUL, a 500 rather than a 400), no format characters (Cf: bidi overrides such as U+202E that reverse
// what follows, zero-width spaces and joiners that hide text or split look-alikes, tag characters) and no line
// or paragraph separators (Zl, Zp: U+2028 breaks lines in emails and logs). Refused, not stripped: the user
// sees the name they will get.
// The documented pattern spells out the BMP part of those categories without the `u` flag: the OpenAPI
// generator writes a flag into the documented pattern (`^\P{Cc}*$/u`, which then matched no name at all), and
// \u escapes mean the same with and without `u`. The few astral format characters (U+110BD … U+E007F, tags)
// cannot be written so; the refinement after it checks the categories themselves.
const NAME_MESSAGE =
  "Remove line breaks and invisible or control characters (such as zero-width spaces or text-direction marks).";
const NAME_UNWANTED = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
export const Name = z
  .string()
  .trim()
  .min(1, { message: "Enter your name." })
  .max(100, { message: "Use at most 100 characters." })
  .regex(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the pattern exists to refuse control characters
    /^[^\u0000-\u001f\u007f-\u009f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]*$/,
    { message: NAME_MESSAGE },
  )
  .refine((name) => !NAME_UNWANTED.test(name), { message: NAME_MESSAGE });
/** Ids in paths are our own base64url ids; anything else (NUL, slashes) is refused before it reaches SQL. */
export const Id = z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, { message: "Not a valid id." });
export const Token = z
  .string()
  .min(1)
  .max(300)
  .openapi({ description: "The token from the emailed link (its #token= fragment)." });

export const User = z
  .object({
    id: z.string(),
    email: z.string(),
    emailVerified: z.boolean(),
    name: z.string(),
    avatarUrl: z.string().nullable(),
    phoneNumber: z.string().nullable().openapi({ description: "Masked, e.g. +1 ••• ••• 4567" }),
    phoneNumberFull: z
      .string()
      .nullable()
      .openapi({ description: "The same number in full (E.164), for its signed-in owner", example: "+14155550123" }),
    phoneVerified: z.boolean(),
    twoFactor: z.object({
      sms: z.boolean(),
      totp: z.boolean(),
      passkeys: z.number().int(),
      recoveryCodesLeft: z.number().int(),
    }),
    createdAt: z.string().datetime(),
  })
  .openapi("User");

export const Session = z
  .object({
    id: z.string(),
    createdAt: z.string().datetime(),
    lastSeenAt: z.string().datetime(),
    expiresAt: z.string().datetime(),
    assuranceLevel: z.number().int().openapi({ description: "1 = first factor, 2 = with a second factor" }),
    secondFactorAt: z.string().datetime().nullable().openapi({
      description:
        "When this session last passed a second factor (sign-in code or step-up); security changes need it within 10 minutes while 2FA is on",
    }),
  })
  .openapi("Session");

export const SignedIn = z.object({
  user: User,
  session: Session,
  token: z.string().optional().openapi({
    description:
      "Only for requests without an Origin header (non-browser clients): send as `Authorization: Bearer <token>`.",
  }),
});

/** SMS was a sign-in's first step and no code went out; the challenge stands for the other methods. */
export const SmsError = z
  .object({ code: z.string(), message: z.string(), retryAfterSeconds: z.number().int().optional() })
  .openapi("SmsError");

export const Challenge = z
  .object({
    twoFactorRequired: z.literal(true),
    challenge: z.object({
      id: z.string(),
      methods: z.array(z.enum(["passkey", "totp", "sms", "recovery_code"])),
      phoneHint: z.string().nullable(),
      expiresAt: z.string().datetime(),
      resendAt: z.string().datetime(),
      smsError: SmsError.optional(),
    }),
  })
  .openapi("TwoFactorChallenge");

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "invalid_request" }),
      message: z.string(),
      fields: z.record(z.string(), z.string()).optional(),
      attemptsLeft: z
        .number()
        .int()
        .optional()
        .openapi({ description: "invalid_code: wrong codes this challenge still accepts" }),
    }),
  })
  .openapi("Error");

export const Accepted = z.object({ status: z.string() });

export function jsonBody<T extends z.ZodType>(schema: T) {
  return { body: { content: { "application/json": { schema } }, required: true } };
}

export function errors(...entries: Array<[number, string]>) {
  return Object.fromEntries(
    entries.map(([status, description]) => [
      status,
      { description, content: { "application/json": { schema: ErrorBody } } },
    ]),
  );
}

export const noContent = { 204: { description: "Done." } };

export const Code = z
  .string()
  .regex(/^\d{6}$/, { message: "Enter the 6-digit code." })
  .openapi({ example: "123456" });
export const PhoneNumber = z
  .string()
  .trim()
  .min(1, { message: "Enter a mobile number." })
  .max(32)
  .openapi({ example: "+14155552671", description: "E.164" });
export const ChallengeId = z.string().regex(/^[A-Za-z0-9_-]{16,64}$/, { message: "Unknown challenge." });

/** The 403 every security change may answer while 2FA is on (API.md "Step-up"). */
export const STEP_UP_ERROR: [number, string] = [
  403,
  "second_factor_required: 2FA is on and this session has not passed a second factor in the last 10 minutes; POST /api/account/step-up, then retry",
];
