import * as Comlink from 'comlink'
import { errorFromPlain, errorToPlain, type KilnErrorLike } from '../errors.js'

/**
 * Comlink sends only name, message and stack of a thrown Error. Kiln's errors carry a `code`
 * and `details` callers branch on, so both realms register this handler: the worker sends the
 * plain form, and the page rebuilds the same error class from its code.
 */
export function installErrorWire (): void {
  const builtIn = Comlink.transferHandlers.get('throw') as Comlink.TransferHandler<{ value: unknown }, unknown>
  if ((builtIn as { kiln?: true }).kiln === true) return
  const handler = {
    kiln: true,
    // Comlink marks thrown values with a private symbol; its own handler knows how to spot them.
    canHandle: (value: unknown): value is { value: unknown } => builtIn.canHandle(value),
    serialize: ({ value }: { value: unknown }): [{ error: KilnErrorLike }, Transferable[]] => [{ error: errorToPlain(value) }, []],
    deserialize: (serialized: { error: KilnErrorLike }): never => { throw errorFromPlain(serialized.error) }
  }
  Comlink.transferHandlers.set('throw', handler as unknown as Comlink.TransferHandler<unknown, unknown>)
}
