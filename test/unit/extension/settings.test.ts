/** cfRotate.apiBaseUrl: one rule for every reader (user or remote machine value; never the workspace's). */
import { fake } from './fakeVscode';
import { strict as assert } from 'node:assert';
import { resolveApiBaseUrl, Settings } from '../../../src/host/settings';

const DEFAULT = 'https://api.cloudflare.com/client/v4';
const SIM = 'http://127.0.0.1:8787/client/v4';
const REMOTE = 'http://127.0.0.1:9999/client/v4';

describe('cfRotate.apiBaseUrl resolution', () => {
  it('the remote machine value counts as a user-level value and wins over the local one', () => {
    assert.deepEqual(resolveApiBaseUrl({ defaultValue: DEFAULT, globalValue: REMOTE, globalRemoteValue: REMOTE, globalLocalValue: SIM }), { value: REMOTE, source: 'remote machine settings', workspaceIgnored: false });
  });

  it('the user value, else the default; blank values do not count', () => {
    assert.deepEqual(resolveApiBaseUrl({ defaultValue: DEFAULT, globalValue: ` ${SIM} ` }), { value: SIM, source: 'user settings', workspaceIgnored: false });
    assert.deepEqual(resolveApiBaseUrl({ defaultValue: DEFAULT, globalValue: '  ' }), { value: DEFAULT, source: 'default', workspaceIgnored: false });
    assert.deepEqual(resolveApiBaseUrl(undefined), { value: DEFAULT, source: 'default', workspaceIgnored: false });
  });

  it('a workspace or folder value never counts, and is reported as ignored', () => {
    assert.deepEqual(resolveApiBaseUrl({ defaultValue: DEFAULT, workspaceValue: 'https://evil.example' }), { value: DEFAULT, source: 'default', workspaceIgnored: true });
    assert.deepEqual(resolveApiBaseUrl({ defaultValue: DEFAULT, globalValue: SIM, workspaceFolderValue: 'https://evil.example' }), { value: SIM, source: 'user settings', workspaceIgnored: true });
  });

  it('the watcher reports the URL at once and again only when the effective value changes, whatever the event', () => {
    const logger = { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
    const settings = new Settings(logger);
    fake.setSetting('cfRotate.apiBaseUrl', { globalValue: SIM });
    const seen: string[] = [];
    const sub = settings.watchApiBaseUrl((n) => seen.push(`${n.url ?? 'error'} (${n.source})`));
    try {
      fake.configEmitter.fire({ affectsConfiguration: () => false });
      assert.deepEqual(seen, [`${SIM} (user settings)`], 'an unrelated change of nothing: no report');
      // VS Code re-read the settings and dropped the value: no event names the setting, the URL changed all the same.
      fake.settings.set('cfRotate.apiBaseUrl', {});
      fake.configEmitter.fire({ affectsConfiguration: () => false });
      fake.setSetting('cfRotate.apiBaseUrl', { globalValue: SIM, globalRemoteValue: REMOTE });
      fake.setSetting('cfRotate.apiBaseUrl', { globalValue: 'http://example.com/client/v4' });
      assert.deepEqual(seen, [`${SIM} (user settings)`, `${DEFAULT} (default)`, `${REMOTE} (remote machine settings)`, 'error (user settings)']);
    } finally {
      sub.dispose();
      fake.setSetting('cfRotate.apiBaseUrl', {});
    }
  });
});
