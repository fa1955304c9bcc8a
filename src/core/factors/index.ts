import type { Challenge, User } from "../types";
import type { SecondFactor, SecondFactorMethod } from "./factor";
import { smsFactor } from "./sms";

export type { ChallengeStep, ProofFor, SecondFactor, SecondFactorMethod, SecondFactorProof } from "./factor";

/** Every second factor, one module each, in the order a page offers them. */
const secondFactors: { [M in SecondFactorMethod]: SecondFactor<M> } = {
  sms: smsFactor,
};

/**
 * The module for a method, or null for a name no factor has (the value may come from a request). The cast
 * joins the method to its own module: TypeScript cannot follow that through a union of methods.
 */
export function factorFor<M extends SecondFactorMethod>(method: M): SecondFactor<M> | null {
  return Object.hasOwn(secondFactors, method) ? (secondFactors[method] as SecondFactor<M>) : null;
}

const allFactors = (): SecondFactor[] => Object.values(secondFactors);

/** The second factors a user must pass before any session is created. */
export function secondFactorMethods(user: User): SecondFactorMethod[] {
  return allFactors()
    .filter((factor) => factor.isEnrolled(user))
    .map((factor) => factor.method);
}

/** The methods that can finish this challenge (`methods` in the sign-in answer and the challenge read). */
export function challengeMethods(challenge: Challenge, user: User): SecondFactorMethod[] {
  return allFactors()
    .filter((factor) => factor.offers(challenge, user))
    .map((factor) => factor.method);
}
