/**
 * grants.ts: what an API token's own policies say about writing a destination, each rule with
 * its expected verdict written out.
 */
import { strict as assert } from 'node:assert';
import { coversAccount, grantVerdict, readCounterpart } from '../../../src/core/cloudflare/grants';
import type { TokenGrant } from '../../../src/core/cloudflare/types';

const A = '954a55fc5f585e634c5bbd7b5e8f4cf2';
const B = 'ffffffffffffffffffffffffffffffff';
const acct = (id: string): string => `com.cloudflare.api.account.${id}`;
const W = { write: 'Workers Scripts Write', read: 'Workers Scripts Read' };
const allow = (permissions: (string | undefined)[], resources: TokenGrant['resources'] = { [acct(A)]: '*' }): TokenGrant => ({ effect: 'allow', permissions, resources });
const deny = (permissions: (string | undefined)[], resources: TokenGrant['resources'] = { [acct(A)]: '*' }): TokenGrant => ({ effect: 'deny', permissions, resources });

describe('grants: may the admin token write a destination, from its own policies', () => {
  it('coversAccount: the account itself or every account ("*" only); other accounts and user resources do not; anything else is unknown', () => {
    assert.equal(coversAccount({ [acct(A)]: '*' }, A), 'yes');
    assert.equal(coversAccount({ [acct(A.toUpperCase())]: '*' }, A), 'yes', 'ids compare case-insensitively');
    assert.equal(coversAccount({ 'com.cloudflare.api.account.*': '*' }, A), 'yes');
    assert.equal(coversAccount({ [acct(B)]: '*' }, A), 'no');
    assert.equal(coversAccount({ [acct(B)]: '*', 'com.cloudflare.api.user.0123': '*' }, A), 'no');
    assert.equal(coversAccount({}, A), 'no');
    assert.equal(coversAccount({ [acct(A)]: { 'com.cloudflare.api.account.zone.*': '*' } }, A), 'unknown', 'zones inside the account');
    assert.equal(coversAccount({ 'com.cloudflare.api.account.zone.abc': '*' }, A), 'unknown');
    assert.equal(coversAccount({ 'com.cloudflare.edge.r2.bucket.x': '*', [acct(A)]: '*' }, A), 'yes');
    assert.equal(coversAccount({ 'com.cloudflare.edge.r2.bucket.x': '*' }, A), 'unknown');
  });

  const cases: [string, TokenGrant[], 'granted' | 'missing' | 'unknown'][] = [
    ['Write on the account', [allow(['Workers Scripts Write'])], 'granted'],
    ['Write on every account', [allow(['Workers Scripts Write'], { 'com.cloudflare.api.account.*': '*' })], 'granted'],
    ['Write among other groups, names compared without case', [allow(['Zone Read', ' workers scripts write '])], 'granted'],
    ['Write in a second policy after an unclear one', [allow([undefined]), allow(['Workers Scripts Write'])], 'granted'],
    ['Read only, on the account', [allow(['Workers Scripts Read', 'Account API Tokens Write'])], 'missing'],
    ['Read here, Write on another account', [allow(['Workers Scripts Write'], { [acct(B)]: '*' }), allow(['Workers Scripts Read'])], 'missing'],
    ['a deny of Write on the account wins over an allow', [allow(['Workers Scripts Write']), deny(['Workers Scripts Write'])], 'missing'],
    ['a deny of Write on another account does not', [allow(['Workers Scripts Write']), deny(['Workers Scripts Write'], { [acct(B)]: '*' })], 'granted'],
    ['neither name (the read works through a group cf-rotate does not know)', [allow(['Some Other Group'])], 'unknown'],
    ['Read on another account only', [allow(['Workers Scripts Read'], { [acct(B)]: '*' })], 'unknown'],
    ['a group without a name beside Read', [allow(['Workers Scripts Read', undefined])], 'unknown'],
    ['a group without a name on another account beside Read here', [allow([undefined], { [acct(B)]: '*' }), allow(['Workers Scripts Read'])], 'missing'],
    ['Write on resources of an unknown shape, Read here', [allow(['Workers Scripts Write'], { 'com.cloudflare.api.account.zone.z': '*' }), allow(['Workers Scripts Read'])], 'unknown'],
    ['Read in a deny policy only', [deny(['Workers Scripts Read'])], 'unknown'],
    ['no policies', [], 'unknown'],
  ];
  for (const [what, grants, verdict] of cases) {
    it(`grantVerdict: ${what} → ${verdict}`, () => {
      assert.equal(grantVerdict(grants, W, A), verdict);
    });
  }

  it('readCounterpart: the Read permission of a Write permission', () => {
    assert.equal(readCounterpart('Workers Scripts Write'), 'Workers Scripts Read');
    assert.equal(readCounterpart('Pages Write'), 'Pages Read');
    assert.equal(readCounterpart('Secrets Store Write'), 'Secrets Store Read');
    assert.equal(readCounterpart('Write Something'), 'Write Something');
  });
});
