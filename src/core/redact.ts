/**
 * The one way an input's value is quoted in a message. A value that looks like a secret (an
 * age identity, a private key block, a kubeconfig credential, or the base64 of one of them)
 * is never repeated: it is described instead, so an operator learns what they pasted where
 * without the job log keeping a copy of it. Inputs end up in the wrong field all the time
 * (the identity instead of its recipient, the whole kubeconfig instead of its path).
 */

interface SecretShape {
  /** What the value looks like, said to the operator instead of the value. */
  looksLike: string;
  test: (text: string) => boolean;
}

// Ordered: the first match names the value. Case-insensitive where a lower-cased copy (age
// identities are upper case; a lower-cased one is still the same key) must be caught too.
const SECRET_SHAPES: SecretShape[] = [
  {
    looksLike: "an age identity (a private key)",
    // The bech32 data part, not just the prefix: "AGE-SECRET-KEY-1..." in advice is no key.
    test: (text) => /age-secret-key-1[02-9ac-hj-np-z]{20,}/i.test(text),
  },
  {
    looksLike: "a private key block",
    test: (text) =>
      // A header with key material after it: the bare header, quoted in advice, is no key.
      /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----\s*(Proc-Type:[^\n]*\s*)?[A-Za-z0-9+/=]{16,}/i.test(
        text,
      ) || /openssh-key-v1/.test(text),
  },
  {
    looksLike: "a kubeconfig with credentials",
    test: (text) =>
      /^[\s-]*(token|client-key-data|client-key|password|id-token|refresh-token|client-secret)\s*:\s*\S/im.test(
        text,
      ) ||
      /"(token|client-key-data|password|id-token|refresh-token|client-secret)"\s*:\s*"/i.test(text),
  },
  {
    looksLike: "a bearer token (JWT)",
    test: (text) => /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\./.test(text),
  },
];

// Long enough to hide a key; short base64-looking words (a bucket name) are not decoded.
const BASE64_RUN = /[A-Za-z0-9+/_-]{40,}={0,2}/g;

/**
 * What a secret-looking value looks like ("an age identity (a private key)"), or undefined
 * when it looks like none. Base64 runs inside the text are decoded and checked as well.
 */
export function secretLookalike(text: string): string | undefined {
  const direct = SECRET_SHAPES.find((shape) => shape.test(text));
  if (direct) return direct.looksLike;
  for (const run of text.match(BASE64_RUN) ?? []) {
    const decoded = Buffer.from(run.replace(/-/g, "+").replace(/_/g, "/"), "base64").toString(
      "latin1",
    );
    const inner = SECRET_SHAPES.find((shape) => shape.test(decoded));
    if (inner) return `the base64 of ${inner.looksLike}`;
  }
  return undefined;
}

export function looksSecret(text: string): boolean {
  return secretLookalike(text) !== undefined;
}

const MAX_QUOTED_CHARS = 120;

/**
 * An input's value for a message: `"the value"` (JSON-quoted, so control characters show,
 * and cut short when long), or, when it looks like a secret, a description that never
 * contains it: `(a value that looks like an age identity (a private key), not shown)`.
 */
export function quoteValue(value: string): string {
  const looksLike = secretLookalike(value);
  if (looksLike) return `(a value that looks like ${looksLike}, not shown)`;
  const shown =
    value.length > MAX_QUOTED_CHARS
      ? `${value.slice(0, MAX_QUOTED_CHARS)}... (${value.length} characters)`
      : value;
  return JSON.stringify(shown);
}

/**
 * The last guard before a message leaves a front door. Messages are built with quoteValue,
 * so this only fires on a value that slipped past it (a library's message quoting its
 * input): a word that is a secret on its own is replaced by what it looks like, and a line
 * that still looks like it holds one (`token: ...`, a PEM header) is replaced whole.
 */
export function redactSecrets(message: string): string {
  return message
    .split("\n")
    .map((line) => {
      if (!looksSecret(line)) return line;
      const words = line
        .split(/(\s+)/)
        .map((word) => {
          const looksLike = secretLookalike(word);
          return looksLike ? `[${looksLike}, not shown]` : word;
        })
        .join("");
      return looksSecret(words.replace(/\[[^\]]*, not shown\]/g, ""))
        ? "[a line that looks like it holds a secret, not shown]"
        : words;
    })
    .join("\n");
}
