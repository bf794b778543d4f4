/** The "UniRL" output channel: one place every part of the extension writes to, filtered by unirl.logLevel. */
import * as vscode from 'vscode';
import { LOG_LEVELS, type LogLevel } from './manifest';

export class Log implements vscode.Disposable {
  readonly channel = vscode.window.createOutputChannel('UniRL');
  /** Set at dispose: deactivate() still runs after VS Code has disposed the channel, and must not throw. */
  private closed = false;

  constructor(public level: LogLevel) {}

  error(message: string): void {
    this.write('error', message);
  }
  warn(message: string): void {
    this.write('warn', message);
  }
  info(message: string): void {
    this.write('info', message);
  }
  debug(message: string): void {
    this.write('debug', message);
  }

  /** Text from the daemon's own log, passed through as it is. */
  raw(text: string): void {
    if (!this.closed) this.channel.append(text);
  }

  private write(level: LogLevel, message: string): void {
    if (this.closed || LOG_LEVELS.indexOf(level) > LOG_LEVELS.indexOf(this.level)) return;
    this.channel.appendLine(`${new Date().toISOString()} [${level}] ${message}`);
  }

  dispose(): void {
    this.closed = true;
    this.channel.dispose();
  }
}
