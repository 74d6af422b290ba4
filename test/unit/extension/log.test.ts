import './fakeVscode';
import { strict as assert } from 'node:assert';
import { registerSecret } from '../../../src/core/redact';
import { OUTPUT_CHANNEL_NAME } from '../../../src/constants';
import { createLog } from '../../../src/host/log';
import { fake } from './fakeVscode';

describe('host/log: the Cloudflare Rotate channel', () => {
  const SECRET = 'cfut_LogChannelSecretValue0123456789abcdefghij01234567';
  before(() => registerSecret(SECRET));

  it('redacts every line it shows, at every level the channel shows', () => {
    const { channel, logger } = createLog();
    const lines = fake.channels.get(OUTPUT_CHANNEL_NAME) ?? [];
    lines.length = 0;
    assert.equal(channel.logLevel, 1, 'the fake channel shows everything (Trace)');
    for (const level of ['trace', 'debug', 'info', 'warn', 'error'] as const) logger[level](`${level}: token ${SECRET}\nforged line`);
    assert.equal(lines.length, 5);
    for (const l of lines) {
      assert.ok(!l.includes(SECRET), l);
      assert.ok(!l.includes('\n'), 'one line each');
    }
  });

  it('drops lines below the channel level before redacting them; info and above always pass', () => {
    const { channel, logger } = createLog();
    const lines = fake.channels.get(OUTPUT_CHANNEL_NAME) ?? [];
    lines.length = 0;
    (channel as { logLevel: number }).logLevel = 3; // Info
    logger.trace(`t ${SECRET}`);
    logger.debug(`d ${SECRET}`);
    logger.info(`i ${SECRET}`);
    logger.warn('w');
    assert.deepEqual(
      lines.map((l) => l.split(' ')[0]),
      ['info', 'warn'],
    );
    assert.ok(!lines[0]?.includes(SECRET));
    (channel as { logLevel: number }).logLevel = 0; // Off
    logger.debug('d');
    assert.equal(lines.length, 2);
  });
});
