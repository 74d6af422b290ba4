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
/** Up to this many registered secrets, redact() searches the text for each; above, it looks each position up. */
const SEARCH_EACH_MAX = 64;

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
    // Every occurrence of every registered secret, then each run of overlapping or touching
    // occurrences masked as one: a secret that contains another, or overlaps one, is masked
    // whole, never partly left in the text. A few secrets: searched for one by one; many: each
    // position of the text looked up among them (the longest one starting there).
    const spans: [number, number][] = [];
    if (known.size <= SEARCH_EACH_MAX) {
      for (const s of known) for (let i = text.indexOf(s); i >= 0; i = text.indexOf(s, i + 1)) spans.push([i, i + s.length]);
      spans.sort((a, b) => a[0] - b[0]);
    } else {
      for (let i = 0; i + MIN_SECRET_LENGTH <= text.length; i++) {
        const hit = known.startingAt(text, i)?.find((s) => text.startsWith(s, i));
        if (hit !== undefined) spans.push([i, i + hit.length]);
      }
    }
    // `end`: the end of the masked run being extended (-1: none yet); the text before it is copied.
    let masked = '';
    let end = -1;
    for (const [a, b] of spans) {
      if (end >= 0 && a <= end) {
        end = Math.max(end, b);
        continue;
      }
      masked += end >= 0 ? `[redacted]${text.slice(end, a)}` : text.slice(0, a);
      end = b;
    }
    if (end >= 0) out = `${masked}[redacted]${text.slice(end)}`;
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
