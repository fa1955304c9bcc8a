import { randomBytes } from "node:crypto";
import { desc, eq } from "drizzle-orm";
import { newChallenge, startChallengeStep } from "../../src/core/challenges";
import { randomId } from "../../src/core/crypto";
import { issueLinkToken } from "../../src/core/link-tokens";
import { checkPhoneNumber } from "../../src/core/phone-numbers";
import { createSession } from "../../src/core/sessions";
import { completeFirstFactor } from "../../src/core/sign-in";
import type { ClientInfo, OneTimeTokenPurpose, User } from "../../src/core/types";
import { outboxSealer } from "../../src/db/outbox";
import { outboxMessages } from "../../src/db/schema";
import type { TwofoldServer } from "../../src/server";
import { STRONG_PASSWORD, uniqueEmail } from "../helpers/harness";
import { bendValue, type Ref } from "./values";

/**
 * The accounts, sessions, challenges and links a fuzzed request refers to, minted for that request alone
 * (straight through the core and repository: cheap, and no argon2 per account). Every request starts from a
 * clean account, so one request's password change, sign-out or spent challenge never makes the next one
 * shallow, and per-account limits never run out.
 */
export type SubjectKind = "plain" | "unverified" | "phone" | "twoFactor" | "verifyingPhone";

const PNG = Buffer.from("89504e470d0a1a0a0000000d4948445200000001000000010806000000", "hex");

export class World {
  private phoneCounter = 0;
  private readonly phoneBase = 2_000_000 + Math.floor(Math.random() * 1_000_000);
  private readonly sealer;

  private constructor(
    readonly server: TwofoldServer,
    private readonly passwordHash: string,
  ) {
    this.sealer = outboxSealer(server.config.secret);
  }

  static async create(server: TwofoldServer): Promise<World> {
    return new World(server, await server.deps.passwordHasher.hash(STRONG_PASSWORD));
  }

  get deps() {
    return this.server.deps;
  }

  /** The client that mints: its own address, so the request's per-IP budgets stay untouched. */
  mintClient(challengeBinding?: string): ClientInfo {
    const b = randomBytes(3);
    return {
      ip: `10.${b[0]}.${b[1]}.${b[2]! || 1}`,
      userAgent: "twofold-fuzz world",
      ...(challengeBinding ? { challengeBinding } : {}),
    };
  }

  /** A valid mobile number (US), new within this world. */
  freshPhone(): string {
    for (;;) {
      const candidate = `+1415${this.phoneBase + this.phoneCounter++}`;
      const checked = checkPhoneNumber(candidate, null);
      if (checked.ok) return checked.e164;
    }
  }

  async mintUser(options: {
    verified: boolean;
    phone?: boolean;
    twoFactor?: boolean;
    avatar?: boolean;
  }): Promise<User> {
    const { repo } = this.deps;
    const email = uniqueEmail("fuzz");
    let user = await repo.createUser({ id: randomId(), email, name: "Fuzz Subject", passwordHash: this.passwordHash });
    if (!user) throw new Error("world: could not create a user");
    if (options.verified) user = (await repo.markEmailVerified(user.id, email)) ?? user;
    if (options.phone || options.twoFactor) user = await this.givePhone(user);
    if (options.twoFactor) user = await repo.setTwoFactorSms(user.id, true);
    if (options.avatar) user = await repo.setAvatar(user.id, "image/png", PNG);
    return user;
  }

  async givePhone(user: User): Promise<User> {
    const updated = await this.deps.repo.setVerifiedPhone(user.id, this.freshPhone());
    if (!updated) throw new Error("world: phone already taken");
    return updated;
  }

  /**
   * Starts reading the code now, for a plan that may or may not use it: a lookup nobody awaits must not become an
   * unhandled rejection when the file's database closes under it (the reader who awaits still sees any error).
   */
  codeSentToLater(phone: string): Promise<string | null> {
    const pending = this.codeSentTo(phone);
    pending.catch(() => {});
    return pending;
  }

  /** The code of the newest text to `phone`, read from the sealed outbox row. */
  async codeSentTo(phone: string): Promise<string | null> {
    const [row] = await this.server.database.db
      .select()
      .from(outboxMessages)
      .where(eq(outboxMessages.recipient, phone))
      .orderBy(desc(outboxMessages.createdAt))
      .limit(1);
    if (!row) return null;
    const data = JSON.parse(this.sealer.open(row.payload)) as { code?: string };
    return data.code ?? null;
  }
}

/** The one account a request is about, plus whatever else it names; everything is minted on first use. */
export class Subject {
  private current: Promise<User> | undefined;
  private readonly memo = new Map<string, Promise<unknown>>();
  private lastCode: Promise<string | null> | undefined;

  /** `cooled`: challenges and verifications are minted with no code sent yet, so a resend is allowed at once. */
  constructor(
    private readonly world: World,
    readonly kind: SubjectKind,
    private readonly cooled: boolean,
  ) {}

  private once<T>(key: string, make: () => Promise<T>): Promise<T> {
    if (!this.memo.has(key)) this.memo.set(key, make());
    return this.memo.get(key) as Promise<T>;
  }

  user(): Promise<User> {
    this.current ??= this.world
      .mintUser({
        verified: this.kind !== "unverified",
        phone: this.kind === "phone",
        twoFactor: this.kind === "twoFactor",
      })
      .then(async (user) => {
        // A number being verified: GET /phone/verification and the resend and verify routes have something to find.
        if (this.kind === "verifyingPhone") await this.once("verification", () => this.startVerification(user));
        return user;
      });
    return this.current;
  }

  /** Turns SMS two-factor on (with a number) if this subject did not have it. */
  private async withTwoFactor(): Promise<User> {
    let user = await this.user();
    if (!user.phoneNumber) user = await this.world.givePhone(user);
    if (!user.twoFactorSms) user = await this.world.deps.repo.setTwoFactorSms(user.id, true);
    this.current = Promise.resolve(user);
    return user;
  }

  private async withPhone(): Promise<User> {
    let user = await this.user();
    if (!user.phoneNumber) user = await this.world.givePhone(user);
    this.current = Promise.resolve(user);
    return user;
  }

  hasSession(): boolean {
    return this.kind !== "unverified";
  }

  session(slot = "own"): Promise<{ id: string; token: string }> {
    return this.once(`session:${slot}`, async () => {
      const user = await this.user();
      const created = await createSession(this.world.deps, user, this.world.mintClient(), {
        secondFactorAt: this.kind === "twoFactor" ? this.world.deps.now() : null,
      });
      if (!created) throw new Error("fuzz world: session not created");
      const { token, session } = created;
      return { id: session.id, token };
    });
  }

  async revokedSessionToken(): Promise<string> {
    const { id, token } = await this.session("revoked");
    await this.world.deps.repo.deleteSession(id);
    return token;
  }

  /** Someone else: verified, with a phone and an avatar. */
  other(): Promise<User> {
    return this.once("other", () => this.world.mintUser({ verified: true, phone: true, avatar: true }));
  }

  /**
   * A sign-in challenge after a correct password, bound to a browser when `binding` is given (the first call decides).
   */
  signInChallenge(binding?: string): Promise<{ id: string; binding: string | undefined }> {
    return this.once("challenge", async () => {
      const user = await this.withTwoFactor();
      if (this.cooled) {
        const challenge = newChallenge(
          this.world.deps,
          user,
          "sign_in",
          user.phoneNumber!,
          this.world.mintClient(binding),
        );
        await this.world.deps.repo.insertChallenge(challenge);
        return { id: challenge.id, binding };
      }
      const started = await completeFirstFactor(this.world.deps, user, this.world.mintClient(binding));
      if (!started.ok || started.result.kind !== "challenge")
        throw new Error(`world: no challenge (${started.ok ? started.result.kind : started.code})`);
      this.lastCode = this.world.codeSentToLater(user.phoneNumber!);
      return { id: started.result.challenge.id, binding };
    });
  }

  async phoneVerification(): Promise<{ id: string }> {
    const user = await this.user();
    return this.once("verification", () => this.startVerification(user));
  }

  private async startVerification(user: User): Promise<{ id: string }> {
    const phone = this.world.freshPhone();
    const challenge = newChallenge(this.world.deps, user, "phone_verification", phone, this.world.mintClient());
    await this.world.deps.repo.insertChallenge(challenge);
    if (this.cooled) return { id: challenge.id };
    const sent = await startChallengeStep(this.world.deps, challenge, "sms", {
      template: "phone_verification_code",
      client: this.world.mintClient(),
    });
    if (!sent.ok) throw new Error(`world: verification code not sent (${sent.code})`);
    this.lastCode = this.world.codeSentToLater(phone);
    return { id: challenge.id };
  }

  linkToken(purpose: OneTimeTokenPurpose): Promise<string> {
    return this.once(`token:${purpose}`, async () => {
      const user = await this.user();
      const email = purpose === "change_email" ? uniqueEmail("fuzz-new") : user.email;
      const link = await issueLinkToken(this.world.deps, this.world.deps.repo, purpose, user.id, email);
      return link.split("#token=")[1]!;
    });
  }

  async resolve(reference: Ref): Promise<string> {
    return bendValue(await this.value(reference), reference.bend);
  }

  private async value({ name }: Ref): Promise<string> {
    switch (name) {
      case "email":
        return (await this.user()).email;
      case "unverifiedEmail":
        return (await this.once("unverified", () => this.world.mintUser({ verified: false }))).email;
      case "otherEmail":
        return (await this.other()).email;
      case "freshEmail":
        return uniqueEmail("fuzz-fresh");
      case "password":
        return STRONG_PASSWORD;
      case "userId":
        return (await this.user()).id;
      case "otherUserId":
        return (await this.other()).id;
      case "sessionId":
        return (await this.session()).id;
      case "otherSessionId":
        return (await this.session("second")).id;
      case "foreignSessionId":
        return this.once(
          "foreign-session",
          async () => (await createSession(this.world.deps, await this.other(), this.world.mintClient()))!.session.id,
        );
      case "challengeId":
        return (await this.signInChallenge()).id;
      case "verificationId":
        return (await this.phoneVerification()).id;
      case "code":
        return (await this.lastCode) ?? "000000";
      case "token:verify_email":
        return this.linkToken("verify_email");
      case "token:reset_password":
        return this.linkToken("reset_password");
      case "token:change_email":
        return this.linkToken("change_email");
      case "token:unlock_sign_in":
        return this.linkToken("unlock_sign_in");
      case "freshPhone":
        return this.world.freshPhone();
      case "ownPhone":
        return (await this.withPhone()).phoneNumber!;
      case "takenPhone":
        return (await this.other()).phoneNumber!;
    }
  }
}
