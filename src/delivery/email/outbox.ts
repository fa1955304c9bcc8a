import type { Channel, DeliveryLogger } from "../channel";

/**
 * Development without SMTP: the message already sits in outbox_messages, where GET /api/dev/outbox and
 * /dev/inbox show it, so "sending" is printing it for whoever watches the console. The body (with its
 * link) is printed on purpose: that is how a developer signs up locally. Production refuses to start
 * without SMTP_URL, so this never runs there.
 */
export function createDevOutboxChannel(logger: DeliveryLogger): Channel {
  return {
    async send(message) {
      logger.info(
        { to: message.to, subject: message.subject, text: message.text },
        "Email kept in the dev outbox (set SMTP_URL to send real mail)",
      );
      return {};
    },
  };
}
