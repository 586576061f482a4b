// Hash routes, so any screen (a post, a profile, any stream) has a link: #/post/<id>, #/stream/<id>.
import { useEffect, useState } from 'react'

export type Route =
  | { screen: 'feed' }
  | { screen: 'profile', did?: string }
  | { screen: 'people' }
  | { screen: 'post', id: string }
  | { screen: 'stream', id?: string }

export function parseRoute (hash: string): Route {
  const [screen, ...rest] = hash.replace(/^#\/?/, '').split('/')
  const arg = rest.length > 0 ? decodeURIComponent(rest.join('/')) : undefined
  switch (screen) {
    case 'profile': return { screen, did: arg }
    case 'people': return { screen }
    case 'post': return arg == null ? { screen: 'feed' } : { screen, id: arg }
    case 'stream': return { screen, id: arg }
    default: return { screen: 'feed' }
  }
}

export const linkTo = {
  feed: '#/',
  people: '#/people',
  profile: (did?: string) => did == null ? '#/profile' : `#/profile/${encodeURIComponent(did)}`,
  post: (id: string) => `#/post/${id}`,
  stream: (id?: string) => id == null ? '#/stream' : `#/stream/${id}`
}

export function useRoute (): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash))
  useEffect(() => {
    const changed = (): void => { setRoute(parseRoute(location.hash)) }
    addEventListener('hashchange', changed)
    return () => { removeEventListener('hashchange', changed) }
  }, [])
  return route
}
