import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { recordDeliveryStatus } from "../../db/outbox";
import { isValidTwilioSignature } from "../../delivery/sms/twilio-signature";
import type { AppEnv } from "../env";
import { errorResponse } from "../errors";
import { errors } from "../schemas";
import { validationHook } from "../validation";

// Twilio sends short ASCII (SM…, delivered, 30007). Anything else is not Twilio's, and a NUL in it would reach
// SQL, which refuses it (a 500).
const TwilioValue = z.string().regex(/^[\x20-\x7e]{1,64}$/);

/**
 * Twilio's delivery reports (StatusCallback). Anyone can POST here, so the body counts only with a valid
 * X-Twilio-Signature: HMAC-SHA1 under our auth token over the public URL Twilio called and the form fields.
 * A form the schema refuses is answered in the API's error shape (the hook), not with zod's raw output.
 */
export const webhookRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(
  createRoute({
    method: "post",
    path: "/twilio/status",
    tags: ["Operations"],
    summary: "Twilio message status callback (signed)",
    request: {
      body: {
        content: {
          "application/x-www-form-urlencoded": {
            schema: z.object({
              MessageSid: TwilioValue,
              MessageStatus: TwilioValue,
              ErrorCode: z.union([TwilioValue, z.literal("")]).optional(),
            }),
          },
        },
      },
    },
    responses: {
      204: { description: "Recorded" },
      ...errors(
        [400, "invalid_request: MessageSid or MessageStatus missing, or not Twilio's"],
        [403, "invalid_origin: X-Twilio-Signature does not match"],
        [404, "not_found: Twilio is not configured"],
      ),
    },
  }),
  async (c) => {
    const { config, db, logger } = c.var.services;
    const twilio = config.sms.twilio;
    if (!twilio) return errorResponse(c, "not_found", "Not found.");
    const form = new URLSearchParams(await c.req.text());
    const url = new URL(c.req.url);
    const publicUrl = `${config.appUrl}${url.pathname}${url.search}`;
    if (!isValidTwilioSignature(twilio.authToken, publicUrl, form, c.req.header("x-twilio-signature"))) {
      logger.warn({ path: url.pathname }, "Twilio status callback with a bad signature");
      return errorResponse(c, "invalid_origin", "Invalid signature.");
    }
    // The validated fields, not the raw form: a repeated name cannot slip a second, unchecked value past the schema.
    const { MessageSid: sid, MessageStatus: status, ErrorCode } = c.req.valid("form");
    if (sid && status) {
      const errorCode = ErrorCode || null;
      const known = await recordDeliveryStatus(db, sid, status, errorCode);
      if (status === "undelivered" || status === "failed")
        logger.warn({ sid, status, errorCode, known }, "SMS not delivered (Twilio status callback)");
    }
    return c.body(null, 204) as never;
  },
);
