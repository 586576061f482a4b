/**
 * Scoped loggers for the node, the stores and the hosts, silent unless asked for: `DEBUG=kiln:*`
 * in Node (libp2p's `debug`-style loggers, so `DEBUG=kiln:*,libp2p:*` shows both).
 */
import { logger } from '@libp2p/logger'

export interface Logger {
  (formatter: string, ...args: unknown[]): void
  error: (formatter: string, ...args: unknown[]) => void
}

/** Says nothing: the default wherever no logger is given. */
export const silentLogger: Logger = Object.assign(() => {}, { error: () => {} })

/** A logger for `scope` (e.g. `kiln:node`), printing only where that scope is enabled. */
export function createLogger (scope: string): Logger {
  return logger(scope)
}
