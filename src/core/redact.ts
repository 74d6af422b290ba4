/**
 * One place that knows every secret value this process has seen, and scrubs them
 * (plus anything that looks like a Cloudflare secret) from text before it is logged,
 * shown or thrown. Register a secret as soon as it enters memory.
 */
const known = new Set<string>();
const MIN_SECRET_LENGTH = 8;

/** Patterns of credential-looking strings that are scrubbed even if never registered. */
const PATTERNS: RegExp[] = [
  /\b(?:cfut|cfat|cfast|cfk)_[A-Za-z0-9_-]{20,}\b/g, // Cloudflare token formats
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g, // JWTs (MoQ tokens)
  /(Bearer\s+)[A-Za-z0-9._~+/=-]{16,}/gi, // bearer headers
  /("?(?:x-auth-key|client_secret|apiKey|apiToken|token|secret|value)"?\s*[:=]\s*"?)[A-Za-z0-9._~+/=-]{16,}/gi,
];

export function registerSecret(value: string | undefined | null): void {
  if (typeof value === 'string' && value.length >= MIN_SECRET_LENGTH) known.add(value);
}

export function redact(text: string): string {
  let out = text;
  // Longest first so that a secret containing another is replaced whole.
  for (const s of [...known].sort((a, b) => b.length - a.length)) {
    if (out.includes(s)) out = out.split(s).join('[redacted]');
  }
  for (const re of PATTERNS) {
    out = out.replace(re, (_m, keep?: string) => (typeof keep === 'string' ? `${keep}[redacted]` : '[redacted]'));
  }
  return out;
}

/** For tests: the secrets registered so far. */
export function knownSecrets(): ReadonlySet<string> {
  return known;
}
