import type { AddressInfo } from "node:net";
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer, type SMTPServerError } from "smtp-server";

/**
 * A real SMTP server on an ephemeral 127.0.0.1 port (no TLS, no auth), so tests exercise nodemailer, the
 * wire protocol and the reply codes rather than a mock of them.
 */

export interface ReceivedMail {
  envelopeFrom: string;
  envelopeTo: string[];
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  messageId: string | undefined;
  parsed: ParsedMail;
}

export type FailureKind = "transient" | "permanent";
/** Where the refusal happens: after the body (DATA) or on the recipient (RCPT TO, e.g. "no such user"). */
export type FailureStage = "data" | "rcpt";

export interface FakeSmtpServer {
  url: string;
  port: number;
  /** Mails accepted so far, in order. */
  received: ReceivedMail[];
  /** Answer the next `count` messages with 451 (transient) or 550 (permanent). */
  failNext(count: number, kind: FailureKind, stage?: FailureStage): void;
  /** Hold every message this long before answering, to widen race windows. */
  setDelay(ms: number): void;
  /** Hold every message (after its body, before the answer) until the returned function is called. */
  hold(): () => void;
  /** Resolves once `count` mails have been accepted. */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

function smtpError(kind: FailureKind): SMTPServerError {
  const error: SMTPServerError = new Error(
    kind === "transient" ? "Try again later (test)" : "Mailbox unavailable (test)",
  );
  error.responseCode = kind === "transient" ? 451 : 550;
  return error;
}

function addressText(value: ParsedMail["from"] | ParsedMail["to"]): string {
  if (!value) return "";
  return (Array.isArray(value) ? value : [value]).map((address) => address.text).join(", ");
}

export async function startFakeSmtpServer(): Promise<FakeSmtpServer> {
  const received: ReceivedMail[] = [];
  const failures: { kind: FailureKind; stage: FailureStage }[] = [];
  let delayMs = 0;
  let held: Promise<void> | null = null;
  const waiters = new Set<() => void>();

  function takeFailure(stage: FailureStage): SMTPServerError | null {
    if (failures[0]?.stage !== stage) return null;
    return smtpError(failures.shift()!.kind);
  }

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onRcptTo(_address, _session, callback) {
      callback(takeFailure("rcpt"));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", async () => {
        if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
        if (held) await held;
        const failure = takeFailure("data");
        if (failure) return callback(failure);
        try {
          const parsed = await simpleParser(Buffer.concat(chunks));
          received.push({
            envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
            envelopeTo: session.envelope.rcptTo.map((rcpt) => rcpt.address),
            from: addressText(parsed.from),
            to: addressText(parsed.to),
            subject: parsed.subject ?? "",
            text: parsed.text ?? "",
            html: typeof parsed.html === "string" ? parsed.html : "",
            messageId: parsed.messageId,
            parsed,
          });
          for (const wake of waiters) wake();
          callback(null);
        } catch (error) {
          callback(error as Error);
        }
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;

  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    received,
    failNext(count, kind, stage = "data") {
      for (let i = 0; i < count; i++) failures.push({ kind, stage });
    },
    setDelay(ms) {
      delayMs = ms;
    },
    hold() {
      let release!: () => void;
      held = new Promise<void>((resolve) => (release = resolve));
      return () => {
        held = null;
        release();
      };
    },
    waitFor(count, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (received.length < count) return;
          cleanup();
          resolve(received);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`fake SMTP: expected ${count} mails, got ${received.length}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
