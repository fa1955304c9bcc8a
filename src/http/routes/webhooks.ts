import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { recordDeliveryStatus } from "../../db/outbox";
import { isValidTwilioSignature } from "../../delivery/sms/twilio-signature";
import type { AppEnv } from "../env";
import { errorResponse } from "../errors";
import { errors } from "../schemas";

/**
 * Twilio's delivery reports (StatusCallback). Anyone can POST here, so the body counts only with a valid
 * X-Twilio-Signature: HMAC-SHA1 under our auth token over the public URL Twilio called and the form fields.
 */
export const webhookRoutes = new OpenAPIHono<AppEnv>().openapi(
  createRoute({
    method: "post", path: "/twilio/status", tags: ["Operations"], summary: "Twilio message status callback (signed)",
    request: { body: { content: { "application/x-www-form-urlencoded": { schema: z.object({ MessageSid: z.string(), MessageStatus: z.string(), ErrorCode: z.string().optional() }) } } } },
    responses: { 204: { description: "Recorded" }, ...errors([403, "invalid_signature"], [404, "not_found: Twilio is not configured"]) },
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
    const sid = form.get("MessageSid") ?? form.get("SmsSid");
    const status = form.get("MessageStatus") ?? form.get("SmsStatus");
    if (sid && status) {
      const errorCode = form.get("ErrorCode") || null;
      const known = await recordDeliveryStatus(db, sid, status, errorCode);
      if (status === "undelivered" || status === "failed") logger.warn({ sid, status, errorCode, known }, "SMS not delivered (Twilio status callback)");
    }
    return c.body(null, 204) as never;
  },
);
