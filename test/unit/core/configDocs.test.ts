/**
 * The editor's help for `.vscode/cf-rotate.json`: every property of the generated JSON Schema has
 * a hover (`markdownDescription`) and every pattern a message (`errorMessage`), from one table
 * (src/core/config/docs.ts) that the zod schema reads too, so the editor, the Tokens tree and
 * `cf-rotate validate` say the same words.
 */
import { strict as assert } from 'node:assert';
import { ConfigError, validateConfig } from '../../../src/core/config/load';
import { CONFIG_DOCS, documentJsonSchema, plainText } from '../../../src/core/config/docs';
import { configJsonSchema, TOKEN_KINDS } from '../../../src/core/config/schema';

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every [path, key, property schema, kind] of the schema, depth first. */
function properties(schema: unknown): { path: string; key: string; prop: Node; kind: string | undefined }[] {
  const out: { path: string; key: string; prop: Node; kind: string | undefined }[] = [];
  const walk = (node: unknown, at: string, kind: string | undefined): void => {
    if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${at}[${i}]`, kind));
    if (!isNode(node)) return;
    const props = isNode(node.properties) ? node.properties : undefined;
    const k = props && isNode(props.kind) && typeof props.kind.const === 'string' ? props.kind.const : kind;
    for (const [name, v] of Object.entries(node)) if (name !== 'properties') walk(v, `${at}.${name}`, k);
    if (props)
      for (const [key, prop] of Object.entries(props)) {
        if (!isNode(prop)) continue;
        out.push({ path: `${at}.properties.${key}`, key, prop, kind: k });
        walk(prop, `${at}.properties.${key}`, k);
      }
  };
  walk(schema, '#', undefined);
  return out;
}

const A = '0123456789abcdef0123456789abcdef';
const UUID = 'f174e90a-fafe-4643-bbbc-4a0ed4fc8415';
/** One valid entry per kind, with every key that has a pattern. */
const ENTRIES: Record<string, Record<string, unknown>> = {
  'account-api-token': { kind: 'account-api-token', name: 'a', profile: 'default', accountId: A, tokenId: A, targets: [{ file: '.env', key: 'A' }] },
  'user-api-token': { kind: 'user-api-token', name: 'u', tokenId: A, targets: [{ file: '.env', key: 'U' }] },
  'access-service-token': { kind: 'access-service-token', name: 's', accountId: A, serviceTokenId: UUID, gracePeriod: '1h', targets: [{ file: '.env', key: 'S' }] },
  'zone-access': { kind: 'access-service-token', name: 'z', zoneId: A, serviceTokenId: UUID, method: 'version', targets: [{ file: '.env', key: 'Z' }] },
  'moq-relay-token': { kind: 'moq-relay-token', name: 'm', accountId: A, relayId: A, targets: [{ file: '.env', key: 'M' }] },
};

describe('cf-rotate.json schema help (hovers and pattern messages)', () => {
  const schema = configJsonSchema();
  const props = properties(schema);

  it('walks a schema with the properties of every kind, targets included', () => {
    const keys = new Set(props.map((p) => p.key));
    for (const k of ['tokens', 'kind', 'name', 'accountId', 'zoneId', 'tokenId', 'serviceTokenId', 'relayId', 'clientSecretVersion', 'file', 'key', 'allowAnyFile', 'allowTracked'])
      assert.ok(keys.has(k), `the schema has "${k}"`);
    for (const kind of TOKEN_KINDS) assert.ok(props.some((p) => p.kind === kind), kind);
  });

  it('every property has a markdownDescription and a plain description', () => {
    const missing = props.filter((p) => typeof p.prop.markdownDescription !== 'string' || (p.prop.markdownDescription as string).length < 20 || typeof p.prop.description !== 'string');
    assert.deepEqual(missing.map((p) => p.path), []);
    for (const p of props) assert.equal(p.prop.description, plainText(p.prop.markdownDescription as string), p.path);
  });

  it('every pattern has an errorMessage (and patternErrorMessage) in plain words, not the regex', () => {
    const patterned = props.filter((p) => typeof p.prop.pattern === 'string');
    assert.ok(patterned.length >= 10, `${patterned.length} properties with a pattern`);
    for (const p of patterned) {
      assert.equal(typeof p.prop.errorMessage, 'string', `${p.path} errorMessage`);
      assert.equal(p.prop.patternErrorMessage, p.prop.errorMessage, `${p.path} patternErrorMessage`);
      assert.ok(!/[\^$\\]/.test(p.prop.errorMessage as string), `${p.path}: ${String(p.prop.errorMessage)} reads like a regex`);
    }
  });

  it('a key means what its kind says: accountId of an Access token names the accountId/zoneId rule', () => {
    const access = props.find((p) => p.key === 'accountId' && p.kind === 'access-service-token');
    assert.match(String(access?.prop.markdownDescription), /exactly one of `accountId` and `zoneId`/);
    const account = props.find((p) => p.key === 'accountId' && p.kind === 'account-api-token');
    assert.match(String(account?.prop.markdownDescription), /owns the token/);
  });

  it('no entry of the table is unused (a removed key takes its words with it)', () => {
    const keys = new Set(props.map((p) => p.key));
    assert.deepEqual(Object.keys(CONFIG_DOCS).filter((k) => !keys.has(k)), []);
    const patternKeys = new Set(props.filter((p) => typeof p.prop.pattern === 'string').map((p) => p.key));
    const withInvalid = Object.entries(CONFIG_DOCS).filter(([, d]) => 'invalid' in d).map(([k]) => k);
    assert.deepEqual(withInvalid.filter((k) => !patternKeys.has(k)), [], 'an "invalid" message without a pattern');
  });

  it('the editor says the same words as the tree and `cf-rotate validate` for every pattern', () => {
    let checked = 0;
    for (const entry of Object.values(ENTRIES)) {
      const paths: [string, (e: Record<string, unknown>) => void][] = Object.keys(entry)
        .filter((k) => k !== 'kind' && k !== 'targets')
        .map((k) => [k, (e) => (e[k] = 'not valid!')]);
      paths.push(['targets[0].key', (e) => ((e.targets as Record<string, unknown>[])[0]!.key = 'not valid!')]);
      for (const [where, spoil] of paths) {
        const key = where.replace(/^targets\[0\]\./, '');
        const doc = (CONFIG_DOCS as Record<string, { invalid?: string }>)[key];
        if (!doc?.invalid) continue;
        const e = JSON.parse(JSON.stringify(entry)) as Record<string, unknown>;
        spoil(e);
        let caught: unknown;
        try {
          validateConfig({ tokens: [e] });
        } catch (err) {
          caught = err;
        }
        assert.ok(caught instanceof ConfigError, `${String(entry.name)}.${where} is refused`);
        const issue = caught.issues.find((i) => i.path === `tokens[0].${where}`);
        assert.equal(issue?.message, doc.invalid, `tokens[0].${where}`);
        const inSchema = props.find((p) => p.key === key && typeof p.prop.pattern === 'string');
        assert.equal(inSchema?.prop.errorMessage, issue?.message, `${key}: the schema's errorMessage`);
        checked++;
      }
    }
    assert.ok(checked >= 12, `${checked} pattern messages compared`);
  });

  it('refuses to document a schema with a key the table does not know', () => {
    assert.throws(() => documentJsonSchema({ type: 'object', properties: { rotateEveryWeek: { type: 'integer' } } }), /rotateEveryWeek.*no entry in CONFIG_DOCS/);
    assert.throws(() => documentJsonSchema({ type: 'object', properties: { description: { type: 'string', pattern: '^x$' } } }), /"description" has a pattern but no "invalid" message/);
  });
});
