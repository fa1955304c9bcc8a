import type { Config } from "../../config";
import type { Channel, DeliveryLogger } from "../channel";
import { createDevOutboxChannel } from "./outbox";
import { createSmtpChannel } from "./smtp";

/** SMTP when SMTP_URL is set, else the dev outbox. */
export function createEmailChannel(
  config: Pick<Config, "smtpUrl" | "emailFrom" | "production">,
  logger: DeliveryLogger,
): Channel {
  if (config.smtpUrl) return createSmtpChannel({ smtpUrl: config.smtpUrl, from: config.emailFrom });
  // loadConfig already refuses this; checked again because printing reset links to a production log would
  // hand account takeover to anyone who can read the logs.
  if (config.production) throw new Error("SMTP_URL is required in production");
  logger.info({}, "No SMTP_URL: emails go to the dev outbox (GET /api/dev/outbox, /dev/inbox) and the console");
  return createDevOutboxChannel(logger);
}
