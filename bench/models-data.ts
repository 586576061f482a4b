/**
 * The documents of the Models query bench (bench/models.ts), the same for Kiln and for OrbitDB:
 * Posts by 50 authors, and Comments on a few of the Posts. Deterministic, so both hold the same
 * documents and the same query has the same answer in both.
 */

export const AUTHORS = 50
/** Posts that get comments, and how many each. */
export const COMMENTED_POSTS = 5
export const COMMENTS_PER_POST = 200
/** Writers at once while seeding. */
export const SEED_CONCURRENCY = 16
/** The first page of every query. */
export const PAGE = 20

export interface Post { title: string, author: string, published: number, tags: string[] }
export interface Comment { postID: string, text: string }

const PRIME = 100_003

export function post (i: number): Post {
  // `published` is a scramble of i (unique below PRIME), so sorting by it is not creation order.
  return { title: `Post ${i}`, author: author(i), published: (i * 7_919) % PRIME, tags: [`t${i % 10}`, `s${i % 7}`] }
}

export function author (i: number): string {
  return `author-${i % AUTHORS}`
}

export function comment (i: number, postID: string): Comment {
  return { postID, text: `Comment ${i}` }
}

const SCHEMA = 'https://json-schema.org/draft/2020-12/schema'

export const POST_MODEL = {
  version: '2.0',
  name: 'BenchPost',
  interface: false,
  implements: [],
  accountRelation: { type: 'list' },
  schema: {
    $schema: SCHEMA,
    type: 'object',
    additionalProperties: false,
    properties: {
      title: { type: 'string', maxLength: 200 },
      author: { type: 'string', maxLength: 100 },
      published: { type: 'integer' },
      tags: { type: 'array', maxItems: 10, items: { type: 'string', maxLength: 50 } }
    },
    required: ['title', 'author', 'published']
  },
  relations: {},
  views: {}
}

/** Comments point at a Post by a document relation: Kiln indexes `postID` by itself. */
export function commentModel (postModel: string): object {
  return {
    version: '2.0',
    name: 'BenchComment',
    interface: false,
    implements: [],
    accountRelation: { type: 'list' },
    schema: {
      $schema: SCHEMA,
      type: 'object',
      additionalProperties: false,
      properties: { postID: { type: 'string', maxLength: 100 }, text: { type: 'string', maxLength: 500 } },
      required: ['postID', 'text']
    },
    relations: { postID: { type: 'document', model: postModel } },
    views: {}
  }
}

/** Runs `write(i)` for i in [from, to) with SEED_CONCURRENCY writers at once; returns writes/s. */
export async function seed (from: number, to: number, write: (i: number) => Promise<unknown>): Promise<number> {
  const t = performance.now()
  let next = from
  await Promise.all(Array.from({ length: SEED_CONCURRENCY }, async () => {
    while (next < to) await write(next++)
  }))
  return Math.round((to - from) / ((performance.now() - t) / 1000))
}

/** Times `run` `times` times (ms each); stops early once `budgetMs` is spent (at least 3 runs). */
export async function timeRuns (times: number, run: (r: number) => Promise<unknown>, budgetMs = Infinity): Promise<number[]> {
  const samples: number[] = []
  const start = performance.now()
  for (let r = 0; r < times; r++) {
    const t = performance.now()
    await run(r)
    samples.push(performance.now() - t)
    if (r >= 2 && performance.now() - start > budgetMs) break
  }
  return samples
}

/** Bytes this origin uses (IndexedDB and the rest), as the browser reports it. */
export async function storageUsed (): Promise<number> {
  return (await navigator.storage.estimate()).usage ?? 0
}
