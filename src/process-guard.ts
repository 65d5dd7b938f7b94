/**
 * The last line of defence of the server process. Every entry point that handles client data
 * has its own barrier (request, frame, send, event, upgrade, HTTP, admin), so nothing should
 * ever reach here; if something does, ending the process would end every user's session for
 * one request's bug. It is logged at fatal level and counted
 * (`openim_jssdk_internal_errors_total{where="process"}`, which the attack harness and
 * operators' alerts expect to stay 0), and the process goes on.
 *
 * Installed by the CLI, which owns the process; a program embedding `startServer` decides
 * for itself.
 */
import type { Logger } from 'pino';

export function installProcessGuard(logger: Logger, count: () => void): () => void {
  const onException = (err: unknown, origin: string): void => {
    try {
      count();
      logger.fatal({ err, origin }, 'uncaught exception: a barrier is missing somewhere; the process goes on');
    } catch {
      // Nothing left to report with.
    }
  };
  const onRejection = (reason: unknown): void => onException(reason, 'unhandledRejection');
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}
