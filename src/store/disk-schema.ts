import type { Level } from 'level'
import { CorruptStoreError, StoreVersionError } from '../errors.js'
import { changedInitController, eventIdPartOf, eventKeyOf } from './event-keys.js'
import type { CommitRecord, EventKeyRecord, StreamRecord } from './store.js'

/** The disk layout this Kiln writes. Bumping it needs a `DISK_MIGRATIONS` entry for the new number. */
export const DISK_SCHEMA_VERSION = 4

export type DiskDb = Level<string, string>
/** `migrations[v]` upgrades a store in place from version v - 1 to v. */
export type DiskMigrations = Record<number, (db: DiskDb) => Promise<void>>

/**
 * Version 2 adds the `fields` sublevel (field indexes, declared in meta `indexes`). A version-1 store
 * has no declared index, so it needs no data written; the number keeps an older Kiln, which would
 * not keep field indexes current, from opening a store that has them.
 */
export const DISK_MIGRATIONS: DiskMigrations = { 2: async () => {}, 3: fillEventKeys, 4: recordInitControllers }

/** The sublevels of the layout (see disk-store.ts); `meta` holds the schema version and counters. */
export const SUBLEVELS = { blocks: 'blocks', streams: 'streams', commits: 'commits', states: 'states', index: 'index', fields: 'fields', events: 'events', meta: 'meta' } as const
export const SCHEMA_VERSION_KEY = 'schemaVersion'
/** Meta key of the declared field indexes (JSON StoredIndex[]). */
export const INDEXES_KEY = 'indexes'

export interface DiskSchemaOptions {
  /** The version to reach (default DISK_SCHEMA_VERSION). */
  version?: number
  /** Default DISK_MIGRATIONS; tests pass their own to exercise the upgrade path. */
  migrations?: DiskMigrations
}

/**
 * Brings an open database to the current layout: stamps a new store, refuses a newer one, and
 * runs each migration step of an older one in order.
 */
export async function prepareDiskSchema (db: DiskDb, options: DiskSchemaOptions = {}): Promise<void> {
  const { version = DISK_SCHEMA_VERSION, migrations = DISK_MIGRATIONS } = options
  const meta = db.sublevel(SUBLEVELS.meta)
  const stored = await meta.get(SCHEMA_VERSION_KEY)
  if (stored == null) {
    // A directory with data but no version was not written by Kiln: refuse it rather than mix layouts.
    if ((await db.keys({ limit: 1 }).all()).length > 0) {
      throw new StoreVersionError(`The LevelDB at ${db.location} has no Kiln schema version; it is not a Kiln store`, { path: db.location })
    }
    await meta.put(SCHEMA_VERSION_KEY, String(version))
    return
  }
  const current = Number(stored)
  if (!Number.isSafeInteger(current) || current < 0) {
    throw new CorruptStoreError(`The store at ${db.location} has an unreadable schema version ${JSON.stringify(stored)}`, { path: db.location })
  }
  if (current > version) {
    throw new StoreVersionError(
      `The store at ${db.location} has schema version ${current}, but this Kiln reads versions up to ${version}; upgrade Kiln to open it`,
      { path: db.location, version: current, supported: version })
  }
  for (let next = current + 1; next <= version; next++) {
    const migrate = migrations[next]
    if (migrate == null) {
      throw new StoreVersionError(`The store at ${db.location} has schema version ${current}, and this Kiln has no migration from version ${next - 1} to ${next}`,
        { path: db.location, version: current, supported: version })
    }
    await migrate(db)
    // Recorded after each step, so an interrupted upgrade resumes at the step that did not finish.
    await meta.put(SCHEMA_VERSION_KEY, String(next))
  }
}

/**
 * An `events` entry: the key is the EventId without its network header (event-keys.ts) as hex,
 * which sorts as the bytes do; the value names the stream and commit, so loading needs no lookup.
 */
export function eventEntry (streamPart: Uint8Array, stream: string, cid: string): { key: string, value: string } {
  return { key: Buffer.from(eventKeyOf(streamPart, cid)).toString('hex'), value: `${stream} ${cid}` }
}

export function readEventEntry (key: string, value: string): EventKeyRecord {
  const space = value.indexOf(' ')
  return { key: new Uint8Array(Buffer.from(key, 'hex')), stream: value.slice(0, space), cid: value.slice(space + 1) }
}

/**
 * Version 3 adds the `events` sublevel, which every commit write keeps from then on: filled here
 * from the commit records, which are keyed by stream, so each stream's record is read once.
 */
async function fillEventKeys (db: DiskDb): Promise<void> {
  const streams = db.sublevel(SUBLEVELS.streams)
  const events = db.sublevel(SUBLEVELS.events)
  let stream: { id: string, part: Uint8Array | undefined } | undefined
  let puts: Array<{ type: 'put', sublevel: typeof events, key: string, value: string }> = []
  for await (const json of db.sublevel(SUBLEVELS.commits).values()) {
    const commit = JSON.parse(json) as CommitRecord
    if (stream?.id !== commit.stream) {
      const record = await streams.get(commit.stream)
      if (record == null) continue // a commit record left by a forget that did not finish
      stream = { id: commit.stream, part: eventIdPartOf(JSON.parse(record) as StreamRecord) }
    }
    if (stream.part == null) continue
    puts.push({ type: 'put', sublevel: events, ...eventEntry(stream.part, commit.stream, commit.cid) })
    if (puts.length >= 1_000) { await db.batch(puts); puts = [] }
  }
  await db.batch(puts)
}

/**
 * Version 4 records a tile's genesis controller where an update changed it (StreamRecord's
 * `initController`), which its EventIds name from now on. Such a stream's keys were written under
 * the controller it had as each commit landed, and forgetting it left them behind; so the keys are
 * filled again from the commit records, and from then on they are exactly the held commits' keys.
 */
async function recordInitControllers (db: DiskDb): Promise<void> {
  const streams = db.sublevel(SUBLEVELS.streams)
  const blocks = db.sublevel<string, Uint8Array>(SUBLEVELS.blocks, { valueEncoding: 'view' })
  const changed: Array<{ type: 'put', key: string, value: string }> = []
  for await (const [id, json] of streams.iterator()) {
    const record = JSON.parse(json) as StreamRecord
    const initController = await changedInitController(record, async (cid) => await blocks.get(cid.toString()))
    if (initController == null) continue
    changed.push({ type: 'put', key: id, value: JSON.stringify({ ...record, initController }) })
  }
  await streams.batch(changed)
  await db.sublevel(SUBLEVELS.events).clear()
  await fillEventKeys(db)
}

