/**
 * One place that knows every secret value this process has seen, and scrubs them
 * (plus anything that looks like a Cloudflare secret) from text before it is logged,
 * shown or thrown. Register a secret as soon as it enters memory.
 */
/**
 * The registry: a Set whose every change (also through the Set a test gets from knownSecrets())
 * drops the longest-first order that redact() keeps between calls, so a long-lived editor, which
 * has seen hundreds of secrets, does not sort them again for every log line.
 */
class Registry extends Set<string> {
  private ordered: string[] | undefined;
  override add(value: string): this {
    if (!this.has(value)) this.ordered = undefined;
    return super.add(value);
  }
  override delete(value: string): boolean {
    this.ordered = undefined;
    return super.delete(value);
  }
  override clear(): void {
    this.ordered = undefined;
    super.clear();
  }
  longestFirst(): readonly string[] {
    return (this.ordered ??= [...this].sort((a, b) => b.length - a.length));
  }
}
const known = new Registry();
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
  for (const s of known.longestFirst()) {
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
