import { describe, expect, it } from 'vitest'
import { deserialize as ceramicDeserialize } from '../../node_modules/@ceramicnetwork/core/lib/pubsub/pubsub-message.js'
import { encodeCborBlock } from '../../src/commits/block.js'
import { MAX_CARRIED_BLOCK_BYTES, MAX_UPDATE_MESSAGE_BYTES } from '../../src/sync/constants.js'
import { parseInterest, wantsUpdate } from '../../src/sync/interests.js'
import { decodeMessage, encodeUpdate } from '../../src/sync/messages.js'

const STREAM = 'kjzl6cwe1jw147ww5d8pswh1hjh686mut8v1br10dar8l9a3n1wf8z38l0bg8qa'
const MODEL = 'kjzl6hvfrbw6c95qb77lcq3y5lxgs6zqhhvkb28mme99xg6rp8qtqyzt54dyu5r'
const TIP = 'bagcqcerawrbhmveyze376vuhddejg7dp2ukjc5zrvsk7ljikvo5y54robquq'
const text = (value: unknown): Uint8Array => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value))

describe('pubsub messages', () => {
  it('an UPDATE is Ceramic\'s JSON: {typ:0, stream, tip, model?}', () => {
    expect(new TextDecoder().decode(encodeUpdate({ stream: STREAM, tip: TIP }))).toBe(`{"typ":0,"stream":"${STREAM}","tip":"${TIP}"}`)
    expect(JSON.parse(new TextDecoder().decode(encodeUpdate({ stream: STREAM, tip: TIP, model: MODEL })))).toEqual({ typ: 0, stream: STREAM, tip: TIP, model: MODEL })
    expect(decodeMessage(encodeUpdate({ stream: STREAM, tip: TIP, model: MODEL }))).toEqual({ ok: true, message: { typ: 0, stream: STREAM, tip: TIP, model: MODEL } })
  })

  it('a small run\'s blocks ride in the UPDATE; Ceramic\'s own decoder still reads it as an UPDATE', async () => {
    const blocks = [await encodeCborBlock({ a: 1 }), await encodeCborBlock({ b: 'two' })]
    const bytes = encodeUpdate({ stream: STREAM, tip: TIP, model: MODEL, blocks })
    const decoded = decodeMessage(bytes)
    if (!decoded.ok || !('message' in decoded)) throw new Error('expected an UPDATE')
    expect([...(decoded.message.blocks ?? new Map()).entries()]).toEqual(blocks.map((b) => [b.cid.toString(), b.bytes]))
    const ceramic = ceramicDeserialize({ data: bytes }) as { typ: number, stream: { toString: () => string }, tip: { toString: () => string }, model?: { toString: () => string } }
    expect({ typ: ceramic.typ, stream: ceramic.stream.toString(), tip: ceramic.tip.toString(), model: ceramic.model?.toString() }).toEqual({ typ: 0, stream: STREAM, tip: TIP, model: MODEL })
  })

  it('a run too big to carry is announced without blocks (peers fetch it)', async () => {
    const big = await encodeCborBlock({ pad: 'x'.repeat(MAX_CARRIED_BLOCK_BYTES) })
    const bytes = encodeUpdate({ stream: STREAM, tip: TIP, blocks: [big] })
    expect(JSON.parse(new TextDecoder().decode(bytes))).toEqual({ typ: 0, stream: STREAM, tip: TIP })
  })

  it('QUERY, RESPONSE and KEEPALIVE are recognised and ignored', () => {
    expect(decodeMessage(text({ typ: 3, ts: 1, ver: '3' }))).toEqual({ ok: true, ignored: 3 })
    expect(decodeMessage(text({ typ: 1, id: 'x', stream: STREAM }))).toEqual({ ok: true, ignored: 1 })
  })

  it.each([
    ['not JSON', text('{typ:0')],
    ['not UTF-8', new Uint8Array([0x7b, 0xff, 0x7d])],
    ['an array', text([0, STREAM, TIP])],
    ['an unknown type', text({ typ: 7 })],
    ['a bad StreamID', text({ typ: 0, stream: 'kjzl6-nope', tip: TIP })],
    ['a bad tip', text({ typ: 0, stream: STREAM, tip: 'nope' })],
    ['a numeric model', text({ typ: 0, stream: STREAM, tip: TIP, model: 5 })],
    ['oversize', text({ typ: 0, stream: STREAM, tip: TIP, pad: 'x'.repeat(MAX_UPDATE_MESSAGE_BYTES) })],
    ['blocks that are not a map', text({ typ: 0, stream: STREAM, tip: TIP, blocks: ['AAAA'] })],
    ['a block keyed by a non-CID', text({ typ: 0, stream: STREAM, tip: TIP, blocks: { nope: 'AAAA' } })],
    ['a block that is not base64url', text({ typ: 0, stream: STREAM, tip: TIP, blocks: { [TIP]: '***' } })],
    ['blocks past the carried limit', text({ typ: 0, stream: STREAM, tip: TIP, blocks: { [TIP]: 'A'.repeat(Math.ceil(MAX_CARRIED_BLOCK_BYTES * 4 / 3) + 8) } })]
  ])('%s is refused with ERR_SYNC_PROTOCOL, never thrown', (_, bytes) => {
    const decoded = decodeMessage(bytes)
    expect(decoded.ok).toBe(false)
    expect(decoded).toMatchObject({ error: { code: 'ERR_SYNC_PROTOCOL' } })
  })
})

describe('interests', () => {
  it('parses the CLI forms', () => {
    expect(parseInterest('all')).toEqual({})
    expect(parseInterest(`model:${MODEL}`)).toEqual({ model: MODEL })
    expect(parseInterest('controller:did:key:z6Mk')).toEqual({ controller: 'did:key:z6Mk' })
    expect(parseInterest(`stream:${STREAM},${MODEL}`)).toEqual({ streams: [STREAM, MODEL] })
    expect(() => parseInterest('model:nope')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_INPUT' }))
    expect(() => parseInterest('colour:red')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_INPUT' }))
  })

  it('decides from an UPDATE when it can, and asks when only the stream\'s entry can tell', () => {
    const update = { typ: 0 as const, stream: STREAM, tip: TIP, model: MODEL }
    expect(wantsUpdate([{}], update)).toBe('yes')
    expect(wantsUpdate([{ model: MODEL }], update)).toBe('yes')
    expect(wantsUpdate([{ model: STREAM }], update)).toBe('no')
    expect(wantsUpdate([{ streams: [STREAM] }], update)).toBe('yes')
    expect(wantsUpdate([{ controller: 'did:key:z6Mk' }], update)).toBe('ask')
    expect(wantsUpdate([{ model: STREAM, controller: 'did:key:z6Mk' }], update)).toBe('no')
  })
})
