/** The "Cloudflare Rotate" log channel, reachable only through the core's redacting logger. */
import * as vscode from 'vscode';
import { redactingLogger } from '../core/log';
import type { Logger } from '../core/ports';
import { OUTPUT_CHANNEL_NAME } from '../constants';

export interface LogHandle {
  channel: vscode.LogOutputChannel;
  /** Every line passes the redactor. */
  logger: Logger;
}

export function createLog(): LogHandle {
  const channel = vscode.window.createOutputChannel(OUTPUT_CHANNEL_NAME, { log: true });
  const sink: Logger = {
    trace: (m) => channel.trace(m),
    debug: (m) => channel.debug(m),
    info: (m) => channel.info(m),
    warn: (m) => channel.warn(m),
    error: (m) => channel.error(m),
  };
  return { channel, logger: redactingLogger(sink) };
}
