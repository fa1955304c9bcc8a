import type { AuthenticationResponseJSON, PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/server";
import type { Deps } from "../deps";
import type { CodeTemplate } from "../messages";
import type { Repository } from "../repository";
import type { Result } from "../result";
import type { Challenge, ClientInfo, User } from "../types";

/**
 * What a client hands in to pass a challenge's second step, one variant per method. A new factor adds its
 * variant here and its module to the registry in ./index.ts; the challenge flows take the proof as it is and
 * never look inside.
 */
export type SecondFactorProof =
  | { method: "sms"; code: string }
  | { method: "totp"; code: string }
  | { method: "recovery_code"; code: string }
  /** The WebAuthn assertion, as @simplewebauthn/browser's startAuthentication returns it. */
  | { method: "passkey"; response: AuthenticationResponseJSON };

export type SecondFactorMethod = SecondFactorProof["method"];

export type ProofFor<M extends SecondFactorMethod> = Extract<SecondFactorProof, { method: M }>;

export interface StartedStep {
  challenge: Challenge;
  /** passkey: the options for navigator.credentials.get (@simplewebauthn's JSON shape). */
  passkeyOptions?: PublicKeyCredentialRequestOptionsJSON;
}

/** Why a step is being started: the message a factor that sends something uses, and who asked. */
export interface ChallengeStep {
  template: CodeTemplate;
  client: ClientInfo;
}

/**
 * One second factor (Kratos-style: every factor the same small shape). A factor knows its own secret and how
 * to check it; it never counts attempts or touches a budget. The shared path in ../challenges.ts counts the
 * challenge's attempt and reserves the account's wrong-answer budget before it calls `verify`, so every method
 * pays from the same budgets and no factor can forget to.
 */
export interface SecondFactor<M extends SecondFactorMethod = SecondFactorMethod> {
  method: M;
  /**
   * A backup factor (recovery codes) finishes a challenge but never turns two-factor on by itself: it exists
   * only beside a real factor, and goes when the last one does.
   */
  backup: boolean;
  /** The user has this factor on: a sign-in offers it (`methods`) and step-up accepts it. */
  isEnrolled(user: User): boolean;
  /**
   * Whether this challenge can be finished with this factor. Asked before any budget is spent; it reads only
   * what was fixed when the challenge opened (a later factor change moves the credentials version and ends it).
   */
  offers(challenge: Challenge, user: User): boolean;
  /**
   * Starts this factor's step on an open challenge and returns the row as it now is. SMS texts a code (its
   * cooldown and SMS budgets inside); a passkey stores a fresh WebAuthn challenge and returns the options for
   * the browser; a factor with nothing to send (TOTP, recovery code) returns the row as is.
   */
  start(deps: Deps, challenge: Challenge, step: ChallengeStep): Promise<Result<StartedStep>>;
  /**
   * True only for a right proof. Called by the shared path alone, after the attempt was counted; the challenge
   * is then completed once by that path. A secret that outlives the challenge (a TOTP step, a recovery code, a
   * passkey's counter) is marked used here, in one conditional statement, so it too works once.
   */
  verify(deps: Deps, challenge: Challenge, user: User, proof: ProofFor<M>): Promise<boolean>;
  /** After a right proof completed the challenge: what the owner must hear of (a recovery code was spent). */
  passed?(deps: Deps, challenge: Challenge, client: ClientInfo): Promise<void>;
  /** The answer to a wrong proof, in this factor's words. */
  wrongProofMessage(attemptsLeft: number): string;
  /**
   * Turns the factor on once its enrolment was proved (SMS: a verified number), or off, inside the caller's
   * transaction, whose first statement bumped the credentials version: challenges and sign-ins opened under
   * the old setting die with it.
   */
  enrol(repo: Repository, userId: string): Promise<User>;
  remove(repo: Repository, userId: string): Promise<User>;
}
