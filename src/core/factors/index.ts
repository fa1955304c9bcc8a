import type { Challenge, User } from "../types";
import type { SecondFactor, SecondFactorMethod } from "./factor";
import { passkeyFactor } from "./passkey";
import { recoveryCodeFactor } from "./recovery-code";
import { smsFactor } from "./sms";
import { totpFactor } from "./totp";

export type {
  ChallengeStep,
  ProofFor,
  SecondFactor,
  SecondFactorMethod,
  SecondFactorProof,
  StartedStep,
} from "./factor";

/**
 * Every second factor, one module each, in the order a page offers them: the first one a user has is the step a
 * sign-in starts with (phishing-resistant first; SMS, which costs a text and can be intercepted, after the app).
 */
const secondFactors: { [M in SecondFactorMethod]: SecondFactor<M> } = {
  passkey: passkeyFactor,
  totp: totpFactor,
  sms: smsFactor,
  recovery_code: recoveryCodeFactor,
};

/**
 * The module for a method, or null for a name no factor has (the value may come from a request). The cast
 * joins the method to its own module: TypeScript cannot follow that through a union of methods.
 */
export function factorFor<M extends SecondFactorMethod>(method: M): SecondFactor<M> | null {
  return Object.hasOwn(secondFactors, method) ? (secondFactors[method] as SecondFactor<M>) : null;
}

type AnyFactor = (typeof secondFactors)[SecondFactorMethod];
const allFactors = (): AnyFactor[] => Object.values(secondFactors);

/**
 * The second factors a user can pass, in the order offered; empty while two-factor is off. A backup factor
 * (recovery codes) counts only beside a real one.
 */
export function secondFactorMethods(user: User): SecondFactorMethod[] {
  const enrolled = allFactors().filter((factor) => factor.isEnrolled(user));
  return enrolled.some((factor) => !factor.backup) ? enrolled.map((factor) => factor.method) : [];
}

/** Two-factor is on: a sign-in needs a second step, and security changes need a recent one. */
export const hasSecondFactor = (user: User): boolean => secondFactorMethods(user).length > 0;

/** The methods that can finish this challenge (`methods` in the sign-in answer and the challenge read). */
export function challengeMethods(challenge: Challenge, user: User): SecondFactorMethod[] {
  const offered = allFactors().filter((factor) => factor.offers(challenge, user));
  return offered.some((factor) => !factor.backup) ? offered.map((factor) => factor.method) : [];
}
