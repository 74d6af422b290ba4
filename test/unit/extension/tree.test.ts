import './fakeVscode';
import { strict as assert } from 'node:assert';
import { TokenTreeProvider } from '../../../src/views/tree';

describe('TokenTreeProvider refresh throttling', () => {
  it('shows the first change at once and coalesces a burst into one trailing refresh', async () => {
    const tree = new TokenTreeProvider();
    let changes = 0;
    let updates = 0;
    tree.onDidChangeTreeData(() => changes++);
    tree.onDidUpdate(() => updates++);
    tree.setData({ folders: [], workspaceFolderCount: 1, history: [], reminderDays: 7, interrupted: new Set() });
    assert.equal(changes, 1, 'leading edge: immediate');
    for (let i = 0; i < 100; i++) tree.setRotating([{ folder: '/w', name: `t${i}` }], i % 2 === 0);
    assert.equal(changes, 1, 'a burst waits for the trailing refresh');
    await new Promise((r) => setTimeout(r, TokenTreeProvider.THROTTLE_MS + 50));
    assert.equal(changes, 2, 'one trailing refresh for the whole burst');
    assert.equal(updates, 2);
    tree.dispose();
  });
});
