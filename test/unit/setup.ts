/**
 * Loaded before every unit test (.mocharc.json "require"): the user's real state directory is never
 * touched. Tests that need their own state directory pass CF_ROTATE_STATE_DIR explicitly.
 */
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

if (!process.env.CF_ROTATE_STATE_DIR) process.env.CF_ROTATE_STATE_DIR = mkdtempSync(path.join(os.tmpdir(), 'cf-rotate-unit-state-'));
