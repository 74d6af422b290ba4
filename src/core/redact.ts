/**
 * One place that knows every secret value this process has seen, and scrubs them
 * (plus anything that looks like a Cloudflare secret) from text before it is logged,
 * shown or thrown. Register a secret as soon as it enters memory.
 */
const MIN_SECRET_LENGTH = 8;

/**
 * The registry: a Set that also files every secret under its first MIN_SECRET_LENGTH characters
 * (longest first within each), kept up to date by every change, also one made through the Set a
 * test gets from knownSecrets(). redact() looks up each position of the text there, so a
 * long-lived editor that has seen a thousand secrets does not search the text for each of them.
 */
class Registry extends Set<string> {
  private readonly byHead = new Map<string, string[]>();
  override add(value: string): this {
    if (!this.has(value)) {
      const head = value.slice(0, MIN_SECRET_LENGTH);
      const bucket = this.byHead.get(head) ?? [];
      const at = bucket.findIndex((s) => s.length < value.length);
      bucket.splice(at < 0 ? bucket.length : at, 0, value);
      this.byHead.set(head, bucket);
    }
    return super.add(value);
  }
  override delete(value: string): boolean {
    const head = value.slice(0, MIN_SECRET_LENGTH);
    const bucket = this.byHead.get(head);
    const at = bucket?.indexOf(value) ?? -1;
    if (bucket && at >= 0) {
      bucket.splice(at, 1);
      if (bucket.length === 0) this.byHead.delete(head);
    }
    return super.delete(value);
  }
  override clear(): void {
    this.byHead.clear();
    super.clear();
  }
  /** The registered secrets that start with `text`'s MIN_SECRET_LENGTH characters at `at`, longest first. */
  startingAt(text: string, at: number): readonly string[] | undefined {
    return this.byHead.get(text.slice(at, at + MIN_SECRET_LENGTH));
  }
}
const known = new Registry();

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
  if (known.size > 0 && text.length >= MIN_SECRET_LENGTH) {
    // Every occurrence of every registered secret (the longest one starting at each position),
    // then each run of overlapping or touching occurrences masked as one: a secret that contains
    // another, or overlaps one, is masked whole, never partly left in the text.
    const spans: [number, number][] = [];
    for (let i = 0; i + MIN_SECRET_LENGTH <= text.length; i++) {
      const candidates = known.startingAt(text, i);
      if (!candidates) continue;
      const hit = candidates.find((s) => text.startsWith(s, i));
      if (hit === undefined) continue;
      const last = spans[spans.length - 1];
      if (last && i <= last[1]) last[1] = Math.max(last[1], i + hit.length);
      else spans.push([i, i + hit.length]);
    }
    if (spans.length > 0) {
      let masked = '';
      let from = 0;
      for (const [a, b] of spans) {
        masked += `${text.slice(from, a)}[redacted]`;
        from = b;
      }
      out = masked + text.slice(from);
    }
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
