import Ajv from 'ajv'
import type { ValidateFunction } from 'ajv'
import Ajv2020 from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { SchemaViolationError } from '../errors.js'

// Ceramic validates Tile content with Ajv's draft-07 build and Model/MID content with the
// 2020-12 build in strict mode; both with allErrors and ajv-formats.
const draft07 = addFormats(new Ajv({ allErrors: true, strict: false }))
const draft2020 = addFormats(new Ajv2020({ allErrors: true, strict: true }))

const compiled = new Map<string, ValidateFunction>()
const COMPILED_CACHE_SIZE = 256

export type SchemaDialect = 'draft-07' | '2020-12'

/** Throws SchemaViolationError, listing every violation, when `content` does not match `schema`. */
export function validateContent (content: unknown, schema: object, dialect: SchemaDialect): void {
  const validate = compile(schema, dialect)
  if (!validate(content)) {
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath === '' ? '/' : e.instancePath} ${e.message ?? 'is invalid'}`)
    throw new SchemaViolationError(`Content does not match the schema: ${problems.join('; ')}`, { errors: problems })
  }
}

/** Throws SchemaViolationError when a schema itself is not valid in the dialect (e.g. a Model's schema). */
export function assertValidSchema (schema: unknown, dialect: SchemaDialect): void {
  if (schema == null || typeof schema !== 'object') throw new SchemaViolationError('A schema must be a JSON object')
  try {
    compile(schema, dialect)
  } catch (err) {
    if (err instanceof SchemaViolationError) throw err
    throw new SchemaViolationError(`Invalid schema: ${(err as Error).message}`, undefined, { cause: err })
  }
}

function compile (schema: object, dialect: SchemaDialect): ValidateFunction {
  const key = `${dialect}:${JSON.stringify(schema)}`
  let validate = compiled.get(key)
  if (validate == null) {
    const ajv = dialect === '2020-12' ? draft2020 : draft07
    if (!ajv.validateSchema(schema)) {
      throw new SchemaViolationError(`Invalid schema: ${ajv.errorsText(ajv.errors)}`)
    }
    validate = ajv.compile(schema)
    if (compiled.size >= COMPILED_CACHE_SIZE) compiled.clear()
    compiled.set(key, validate)
  }
  return validate
}
