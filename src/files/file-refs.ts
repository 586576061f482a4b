/**
 * How a document refers to a file: the string `ipfs://<cid>` anywhere in its content, the
 * convention of Ceramic's own profile schemas (IDX basicProfile's `image.original.src`, ComposeDB's
 * ImageSources) and of NFT metadata (`image`, `animation_url`). It is plain JSON, so every Ceramic
 * handler and schema accepts it (a Model can constrain it with `"format": "uri"` or a pattern).
 */
import { CID } from 'multiformats/cid'
import { FILE_URI_PREFIX } from './constants.js'

/** `ipfs://<cid>` for a file's CID. */
export const fileUri = (cid: string): string => `${FILE_URI_PREFIX}${cid}`

/** The CIDs of every `ipfs://<cid>` string in a document's content, each once, in order found. */
export function fileRefsIn (content: unknown): string[] {
  const found = new Set<string>()
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      if (!value.startsWith(FILE_URI_PREFIX)) return
      const [root] = value.slice(FILE_URI_PREFIX.length).split(/[/?#]/)
      try {
        found.add(CID.parse(root).toV1().toString())
      } catch {
        // Not a CID (`ipfs://` followed by something else): not a file reference.
      }
    } else if (Array.isArray(value)) {
      value.forEach(visit)
    } else if (value != null && typeof value === 'object') {
      Object.values(value).forEach(visit)
    }
  }
  visit(content)
  return [...found]
}
