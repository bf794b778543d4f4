/** The "UniRL" output channel: one place every part of the extension writes to, filtered by unirl.logLevel. */
import * as vscode from 'vscode';
import { LOG_LEVELS, type LogLevel } from './manifest';

export class Log implements vscode.Disposable {
  readonly channel = vscode.window.createOutputChannel('UniRL');

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
    this.channel.append(text);
  }

  private write(level: LogLevel, message: string): void {
    if (LOG_LEVELS.indexOf(level) > LOG_LEVELS.indexOf(this.level)) return;
    this.channel.appendLine(`${new Date().toISOString()} [${level}] ${message}`);
  }

  dispose(): void {
    this.channel.dispose();
  }
}
