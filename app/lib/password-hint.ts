/**
 * The live hint under a field that chooses a new password: says what would make the server refuse it (too
 * short, too long, one of the most common, a single repeated character) and otherwise how strong it looks. It
 * never blocks: the server decides (src/core/passwords.ts, with the full common list and the breach lookup).
 * No composition rules (NIST SP 800-63B 5.1.1.2): length is what makes a password hard to guess.
 */

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

// The head of src/core/data/common-passwords.txt: enough to catch the obvious ones as they are typed, without
// shipping 18,000 words to every browser.
const COMMON = new Set(
  "password 12345678 123456789 baseball football qwertyuiop 1234567890 superman 1qaz2wsx jennifer trustno1 sunshine iloveyou computer michelle starwars princess 11111111 corvette 1234qwer internet samantha q1w2e3r4t5 maverick whatever mercedes steelers qwer1234 hardcore q1w2e3r4 midnight bigdaddy victoria marlboro password1 1q2w3e4r cocacola jordan23 asdfasdf danielle 12344321 jonathan liverpoo qwerty123 passw0rd abcd1234 slipknot scorpion startrek asdfghjkl redskins qazwsxedc liverpool nicholas butthead dolphins qwertyui shithead metallic mountain benjamin elephant rush2112 1q2w3e4r5t creative garfield bullshit asdfghjk 1qazxsw2 december airborne brooklyn godzilla 4815162342 williams darkness blink182 platinum 01012011 11223344 lifehack 12qwaszx snowball nintendo november pakistan explorer redwings 789456123 lasvegas guinness christin asdf1234 babygirl michigan carolina alexande dickhead minecraft metallica "
    .trim()
    .split(" "),
);

export type PasswordStrength = "empty" | "weak" | "fair" | "strong";

export interface PasswordHint {
  strength: PasswordStrength;
  /** What the user reads; empty for an empty field. */
  text: string;
}

export function passwordHint(password: string): PasswordHint {
  const length = [...password].length;
  if (length === 0) return { strength: "empty", text: "" };
  if (length < PASSWORD_MIN_LENGTH)
    return { strength: "weak", text: `Too short: use at least ${PASSWORD_MIN_LENGTH} characters.` };
  if (length > PASSWORD_MAX_LENGTH)
    return { strength: "weak", text: `Too long: use at most ${PASSWORD_MAX_LENGTH} characters.` };
  const lower = password.toLowerCase();
  if (COMMON.has(lower)) return { strength: "weak", text: "Too common: this is one of the most used passwords." };
  if (new Set(lower).size === 1) return { strength: "weak", text: "Too easy to guess: one character repeated." };
  if (length < 12)
    return {
      strength: "fair",
      text: "Long enough. Longer is stronger: try 12 or more characters, such as a few unrelated words.",
    };
  return {
    strength: "strong",
    text: "Strong: long passwords are the hardest to guess. We also check it against leaked passwords when you save.",
  };
}
