/** Reading a request target safely: a malformed one is the client's error (400), never a 500. */
import { InvalidIdError, InvalidInputError } from '../errors.js'

/** The path and query string of a request target; one that is not a URL (`http://[`) is the client's error. */
export function targetOf (target: string): { pathname: string, search: string } {
  try {
    const { pathname, search } = new URL(target, 'http://kiln.invalid')
    return { pathname, search }
  } catch (err) {
    throw new InvalidInputError('The request target is not a valid URL', { target: target.slice(0, 200) }, { cause: err })
  }
}

/** A percent-decoded path segment; a malformed escape (`%zz`, `%C0%AF`) is the client's error. */
export function decodeSegment (segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch (err) {
    throw new InvalidIdError('The stream id has a malformed percent-escape', { segment: segment.slice(0, 200) }, { cause: err })
  }
}
