import { describe, expect, it } from 'vitest'
import * as errors from '../../src/errors.js'
import { SERVER_FAULT_CODES, httpStatusOf } from '../../src/server/http-status.js'

/** Every error class errors.ts exports (each leaf has a static `code`). */
type ErrorClass = (new () => errors.KilnError) & { code: string }
const ERROR_CLASSES = (Object.values(errors) as unknown[]).filter((value): value is ErrorClass =>
  typeof value === 'function' && typeof (value as { code?: unknown }).code === 'string')

describe('HTTP status of every typed error', () => {
  it('finds the error table', () => {
    // A guard for the test below: if the exports changed shape, it would pass over nothing.
    expect(ERROR_CLASSES.length).toBeGreaterThan(30)
    expect(ERROR_CLASSES.map((E) => E.code)).toContain('ERR_ANCHOR_UNAVAILABLE')
  })

  it('maps every code to a deliberate status: a 4xx or 503, and a 500 only for the server\'s own faults', () => {
    const undeliberate = ERROR_CLASSES
      .map((E) => ({ code: E.code, status: httpStatusOf(new E()) }))
      .filter(({ code, status }) => status === 500 && !SERVER_FAULT_CODES.has(code))
    expect(undeliberate).toEqual([])
    for (const E of ERROR_CLASSES) expect([400, 403, 404, 409, 413, 429, 500, 503], E.code).toContain(httpStatusOf(new E()))
  })

  it('an anchor that cannot be checked now, or a peer that did not answer, is a 503; an untyped error stays a 500', () => {
    expect(httpStatusOf(new errors.AnchorUnavailableError())).toBe(503)
    expect(httpStatusOf(new errors.PeerUnavailableError())).toBe(503)
    expect(httpStatusOf(new errors.CorruptStoreError())).toBe(500)
    expect(httpStatusOf(new TypeError('a bug'))).toBe(500)
  })
})
