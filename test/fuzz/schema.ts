import fc from "fast-check";
import { anyString, extraKey, junkValue, type Node, Obj, Ref, ref, type RefName } from "./values";

/** One operation of the OpenAPI document. */
export interface Operation {
  method: string;
  /** OpenAPI form, with the /api prefix: `/api/account/sessions/{id}`. */
  path: string;
  spec: OperationSpec;
}

export interface OperationSpec {
  parameters?: Array<{ name: string; in: string; required?: boolean; schema: JsonSchema }>;
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, unknown>;
}

export type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  $ref?: string;
  [key: string]: unknown;
};

export interface OpenApiDocument {
  paths: Record<string, Record<string, OperationSpec>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

/** A route the generators cannot fuzz: the coverage test fails on it instead of silently skipping it. */
export class NoGenerator extends Error {}

export function operationsOf(doc: OpenApiDocument): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, spec]) => ({ method: method.toUpperCase(), path, spec })),
  );
}

export const operationKey = (op: Pick<Operation, "method" | "path">) => `${op.method} ${op.path}`;

// Keywords the value generator understands; any other one means the schema says something it would ignore.
const understood = new Set([
  "type",
  "properties",
  "required",
  "items",
  "enum",
  "const",
  "anyOf",
  "oneOf",
  "format",
  "pattern",
  "minLength",
  "maxLength",
  "minimum",
  "maximum",
  "$ref",
  "example",
  "description",
  "title",
  "default",
  "additionalProperties",
]);

function resolve(schema: JsonSchema, doc: OpenApiDocument): JsonSchema {
  if (!schema.$ref) return schema;
  const name = schema.$ref.replace("#/components/schemas/", "");
  const target = doc.components?.schemas?.[name];
  if (!target) throw new NoGenerator(`unresolvable $ref ${schema.$ref}`);
  return resolve(target, doc);
}

/** The schema's pattern as a RegExp, or NoGenerator: a pattern that does not compile documents nothing. */
export function patternOf(pattern: string): RegExp {
  try {
    return new RegExp(pattern, "u");
  } catch (error) {
    throw new NoGenerator(
      `pattern ${JSON.stringify(pattern)} is not an ECMA-262 regular expression: ${(error as Error).message}`,
    );
  }
}

/** Values that satisfy the schema (so the request gets past validation into the flow). */
export function validValue(schema: JsonSchema, doc: OpenApiDocument, where: string): fc.Arbitrary<Node> {
  const s = resolve(schema, doc);
  const unknown = Object.keys(s).filter((k) => !understood.has(k));
  if (unknown.length > 0) throw new NoGenerator(`${where}: schema keywords ${unknown.join(", ")} have no generator`);
  if (s.const !== undefined) return fc.constant(s.const as Node);
  if (s.enum) return fc.constantFrom(...(s.enum as Node[]));
  const variants = s.anyOf ?? s.oneOf;
  if (variants) return fc.oneof(...variants.map((v, i) => validValue(v, doc, `${where}[${i}]`)));
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case "string":
      return validString(s, where);
    case "boolean":
      return fc.boolean();
    case "integer":
      return fc.integer({ min: s.minimum ?? -1000, max: s.maximum ?? 1000 });
    case "number":
      return fc.double({ min: s.minimum ?? -1e6, max: s.maximum ?? 1e6, noNaN: true });
    case "null":
      return fc.constant(null);
    case "array":
      if (!s.items) throw new NoGenerator(`${where}: array without items`);
      return fc.array(validValue(s.items, doc, `${where}[]`), { maxLength: 3 });
    case "object":
      return fc
        .tuple(
          ...Object.entries(s.properties ?? {}).map(([name, prop]) =>
            validValue(prop, doc, `${where}.${name}`).map((v) => [name, v] as [string, Node]),
          ),
        )
        .map((entries) => new Obj(entries));
    default:
      throw new NoGenerator(`${where}: schema type ${JSON.stringify(s.type)} has no generator`);
  }
}

function validString(s: JsonSchema, where: string): fc.Arbitrary<string> {
  const minLength = s.minLength ?? 0;
  const maxLength = Math.min(s.maxLength ?? 64, 64);
  if (s.format === "email")
    return fc.oneof(fc.emailAddress(), fc.stringMatching(/^[a-z][a-z0-9.+-]{0,20}@[a-z]{1,10}\.(com|org|de)$/));
  if (s.format && !["date-time", "uri"].includes(s.format))
    throw new NoGenerator(`${where}: string format ${s.format} has no generator`);
  if (s.pattern) {
    const pattern = patternOf(s.pattern);
    const fits = (v: string) => pattern.test(v) && v.length >= minLength && v.length <= (s.maxLength ?? Infinity);
    let matching: fc.Arbitrary<string>;
    try {
      matching = fc.stringMatching(pattern);
    } catch (error) {
      throw new NoGenerator(`${where}: pattern ${s.pattern} has no generator: ${(error as Error).message}`);
    }
    // A pattern no generated value satisfies (a flag pasted into it, say) documents nothing a client could use.
    if (!fc.sample(matching, { numRuns: 50, seed: 1 }).some(fits))
      throw new NoGenerator(`${where}: no value generated from pattern ${JSON.stringify(s.pattern)} matches it`);
    return matching.filter(fits);
  }
  return fc.oneof(
    fc.string({ unit: "grapheme", minLength, maxLength }),
    fc.string({ unit: "binary", minLength, maxLength }),
  );
}

/**
 * Values of this project's world for fields it knows by name (the right password, a live token, the challenge's
 * real code…): without them every request would stop at the first check. Unknown names fall back to the schema.
 */
function worldValue(
  name: string,
  op: Operation,
  ref: (name: RefName) => fc.Arbitrary<Ref>,
): fc.Arbitrary<Node> | undefined {
  const r = (...names: RefName[]) => fc.oneof(...names.map(ref));
  switch (name) {
    case "email":
      return r("email", "email", "unverifiedEmail", "freshEmail");
    case "newEmail":
      return r("freshEmail", "freshEmail", "otherEmail", "email");
    case "password":
      // sign-up and reset choose a password: a strong one, a weak one, or the account's own.
      return op.path.endsWith("/sign-in") ? r("password") : fc.oneof(strongPassword, weakPassword, ref("password"));
    case "currentPassword":
      return r("password");
    case "newPassword":
      return fc.oneof(strongPassword, strongPassword, weakPassword, ref("password"));
    case "token": {
      const purpose = op.path.includes("verify-email")
        ? "token:verify_email"
        : op.path.includes("reset-password")
          ? "token:reset_password"
          : op.path.includes("confirm-email-change")
            ? "token:change_email"
            : op.path.endsWith("/unlock")
              ? "token:unlock_sign_in"
              : undefined;
      return purpose
        ? fc.oneof(
            ref(purpose),
            ref(purpose),
            r("token:verify_email", "token:reset_password", "token:change_email", "token:unlock_sign_in"),
          )
        : undefined;
    }
    case "challengeId":
      return r("challengeId");
    case "verificationId":
      return r("verificationId");
    case "code":
      return fc.oneof(ref("code"), ref("code"), fc.stringMatching(/^\d{6}$/));
    case "phoneNumber":
      return fc.oneof(
        ref("freshPhone"),
        ref("freshPhone"),
        ref("ownPhone"),
        ref("takenPhone"),
        fc.constantFrom(
          "+442071838750",
          "+905321234567",
          "+33612345678",
          "+4915112345678",
          "+12025550123",
          "+1 415 555 0100",
          "0044 20 7183 8750",
        ),
      );
    case "id":
      return op.path.startsWith("/api/users/")
        ? r("userId", "otherUserId", "sessionId")
        : r("sessionId", "otherSessionId", "foreignSessionId", "userId");
    default:
      return undefined;
  }
}

const words = [
  "correct",
  "horse",
  "battery",
  "staple",
  "violet",
  "harbor",
  "quartz",
  "meadow",
  "ünïcödé",
  "沙漠",
  "🦄",
];
const strongPassword = fc.array(fc.constantFrom(...words), { minLength: 4, maxLength: 6 }).map((w) => w.join(" "));
const weakPassword = fc.constantFrom("password", "12345678", "short", "aaaaaaaa", "qwertyuiop", "Password1");

const exactRef = (name: RefName) => fc.constant(new Ref(name));

/**
 * One field as a well-behaved client sends it: the world's value (the right password, a live token), else a valid one.
 */
export function cleanValue(name: string, schema: JsonSchema, doc: OpenApiDocument, op: Operation): fc.Arbitrary<Node> {
  return worldValue(name, op, exactRef) ?? validValue(schema, doc, `${operationKey(op)} ${name}`);
}

/** One field, fuzzed: the world's value (or a near miss), a schema-valid one, or junk. */
export function fieldValue(name: string, schema: JsonSchema, doc: OpenApiDocument, op: Operation): fc.Arbitrary<Node> {
  const world = worldValue(name, op, ref);
  const valid = validValue(schema, doc, `${operationKey(op)} ${name}`);
  return fc.oneof(
    ...(world ? [{ arbitrary: world, weight: 6 }] : []),
    { arbitrary: valid, weight: 3 },
    { arbitrary: junkValue, weight: 2 },
  );
}

/**
 * An object body from the schema: clean (every required field right, so the flow itself runs), or fuzzed (each
 * field present or not, right or wrong, plus unknown fields).
 */
export function objectValue(schema: JsonSchema, doc: OpenApiDocument, op: Operation): fc.Arbitrary<Obj> {
  const s = resolve(schema, doc);
  if (s.type !== "object" || !s.properties)
    throw new NoGenerator(`${operationKey(op)}: body schema is not an object with properties`);
  const required = new Set(s.required ?? []);
  const clean = fc
    .tuple(
      ...Object.entries(s.properties).map(([name, prop]) => {
        const field = cleanValue(name, prop, doc, op).map((v): [string, Node] | undefined => [name, v]);
        return required.has(name) ? field : fc.option(field, { nil: undefined, freq: 2 });
      }),
    )
    .map((entries) => new Obj(entries.filter((e): e is [string, Node] => e !== undefined)));
  return fc.oneof({ arbitrary: clean, weight: 2 }, { arbitrary: fuzzedObject(s, required, doc, op), weight: 3 });
}

function fuzzedObject(s: JsonSchema, required: Set<string>, doc: OpenApiDocument, op: Operation): fc.Arbitrary<Obj> {
  const fields = Object.entries(s.properties!).map(([name, prop]) =>
    fc.option(
      fieldValue(name, prop, doc, op).map((v) => [name, v] as [string, Node]),
      // Required fields go missing now and then; optional ones half the time.
      { nil: undefined, freq: required.has(name) ? 12 : 2 },
    ),
  );
  const extras = fc.oneof(
    { arbitrary: fc.constant([]), weight: 4 },
    {
      arbitrary: fc.array(fc.tuple(extraKey, fc.oneof(junkValue, anyString)), { minLength: 1, maxLength: 4 }),
      weight: 1,
    },
  );
  return fc.tuple(fc.tuple(...fields), extras, fc.boolean()).map(([entries, extra, extrasFirst]) => {
    const present = entries.filter((e): e is [string, Node] => e !== undefined);
    return new Obj(extrasFirst ? [...extra, ...present] : [...present, ...extra]);
  });
}

/** The path parameter values: the world's ids, schema-valid ones, junk, sent encoded or raw. */
export function paramValue(name: string, schema: JsonSchema, doc: OpenApiDocument, op: Operation) {
  return fc.record({
    value: fieldValue(name, schema, doc, op),
    encoding: fc.constantFrom<"encoded" | "raw">("encoded", "encoded", "raw"),
  });
}
