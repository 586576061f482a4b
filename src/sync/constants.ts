/**
 * Protocol ids, limits and timings of Kiln's peer-to-peer sync, in one place (style.md §8).
 * Sizes are bytes, times milliseconds, rates per second.
 */

/** Network prefix of the gossip topic: `/kiln/<network>` (Ceramic uses `/ceramic/<network>`). */
export const TOPIC_PREFIX = '/kiln/'
export const DEFAULT_NETWORK = 'dev'
export const topicFor = (network: string): string => `${TOPIC_PREFIX}${network}`
export const DEFAULT_TOPIC = topicFor(DEFAULT_NETWORK)

/** The block protocol's newest version: 1.0.0 with up to 256 CIDs a request (block-exchange.ts). */
export const BLOCKS_PROTOCOL = '/kiln/blocks/1.1.0'
/** The first version, still served: nodes from before 1.1.0 speak only it. */
export const BLOCKS_PROTOCOL_1_0 = '/kiln/blocks/1.0.0'
/** Every block protocol version this node serves, newest first. */
export const BLOCK_PROTOCOLS = [BLOCKS_PROTOCOL, BLOCKS_PROTOCOL_1_0] as const
export const HEADS_PROTOCOL = '/kiln/heads/1.0.0'

// --- pubsub UPDATE messages (JSON, as Ceramic's) ---
/**
 * An UPDATE holds two StreamIDs and a CID (~250 bytes) and, for a small run, its blocks in base64url
 * (4/3 of MAX_CARRIED_BLOCK_BYTES, plus a CID per block); anything past this is refused.
 */
export const MAX_UPDATE_MESSAGE_BYTES = 8_192
/**
 * Blocks an UPDATE may carry: a data commit with a CACAO (envelope, payload, capability) is
 * ~1.5–3 KB. Bigger runs are fetched from the announcer as before.
 */
export const MAX_CARRIED_BLOCK_BYTES = 4_096
/** gossipsub's own cap on a message's data: above ours, so oversize UPDATEs reach our decoder and count against the sender. */
export const GOSSIP_MAX_DATA_BYTES = 64 * 1_024
/** Ceramic's PUBSUB_CACHE_SIZE: the LRU of stream/tip pairs already handled. */
export const SEEN_CACHE_SIZE = 500
/** Outcomes (invalid, refused) remembered so a tip is not fetched and judged again. */
export const JUDGED_CACHE_SIZE = 2_000

// --- block exchange ---
/** Ceramic's IPFS_MAX_COMMIT_SIZE (256 KB) plus the CBOR frame around the bytes. */
export const MAX_BLOCK_FRAME_BYTES = 256_000 + 64
/**
 * CIDs one 1.1.0 request may name. A catch-up asks for ~128 commits' blocks a round: in one request
 * rather than four, each of them a stream opened, windows updated, frames encrypted (a sixth less
 * of a catch-up's CPU here: 520–570 µs a commit, not 630–670).
 */
export const MAX_CIDS_PER_REQUEST = 256
/** A 1.1.0 request names at most MAX_CIDS_PER_REQUEST CIDs (~60 bytes each). */
export const MAX_BLOCK_REQUEST_BYTES = 32_768
export const MAX_CIDS_PER_REQUEST_1_0 = 32
export const MAX_BLOCK_REQUEST_BYTES_1_0 = 4_096
/**
 * Block bytes one 1.1.0 answer carries at most (a 1.0.0 answer's most: 32 blocks of 256 KB); CIDs
 * past them are answered `later`, for the asker to ask again, so a request of 256 large blocks
 * does not make the answering node hold 64 MB.
 */
export const MAX_BLOCK_ANSWER_BYTES = 8 * 1_024 * 1_024
export const BLOCK_REQUEST_TIMEOUT_MS = 10_000
/** Block requests one fetch keeps in flight to one peer. */
export const BLOCK_REQUESTS_IN_FLIGHT = 4
/** Block request streams one peer may have open here at once (its catch-up keeps 4 × 4 going). */
export const MAX_BLOCK_STREAMS_PER_PEER = 64
/** A request stream must deliver its request frame this soon after opening (it is sent at once). */
export const REQUEST_FRAME_TIMEOUT_MS = 5_000
/**
 * libp2p resets streams past a protocol's `maxInboundStreams` before Kiln sees them, unscored; it
 * is set this many times above Kiln's own per-peer limit, so the excess reaches Kiln and is charged.
 */
export const STREAM_LIMIT_HEADROOM = 4

// --- heads sync (catch-up) ---
export const HEADS_PAGE_SIZE = 100
export const MAX_STREAM_IDS_PER_REQUEST = 100
export const MAX_HEADS_REQUEST_BYTES = 16 * 1_024
/** 100 streams × (id + controller + model + a few tips) stays far below this. */
export const MAX_HEADS_RESPONSE_BYTES = 1_024 * 1_024
/** A stream with more concurrent branches than this is refused as a malformed answer. */
export const MAX_TIPS_PER_STREAM = 256
export const HEADS_REQUEST_TIMEOUT_MS = 10_000
/** Heads request streams one peer may have open here at once. */
export const MAX_HEADS_STREAMS_PER_PEER = 8
/** Periodic catch-up with every connected Kiln peer (Recon's per-peer delay starts at 1 s, capped at 10 min). */
export const HEADS_SYNC_INTERVAL_MS = 30_000
/** Interests that list stream ids are caught up on connecting and every this many rounds (5 min). */
export const STREAM_LIST_ROUNDS = 10
/** Upper bound on pages pulled from one peer in one round (100,000 streams). */
export const MAX_HEADS_PAGES_PER_ROUND = 1_000
/** Commit times one `times` answer carries (~70 bytes each, within MAX_HEADS_RESPONSE_BYTES). */
export const MAX_WITNESSED_COMMITS = 10_000
/** How long fetching a stream on demand waits for a first server connection after start. */
export const FETCH_PEER_WAIT_MS = 5_000
/** A MID needs its Model, which may need a schema…: how deep dependencies are fetched. */
export const MAX_DEPENDENCY_DEPTH = 4

// --- write confirmations (confirmations.ts) ---
/** After a local write, how long to wait before asking peers whether they hold it (gossip takes ~30 ms a hop). */
export const CONFIRM_DELAY_MS = 500
/** Writes no peer lists yet are asked about again after this while peers take some, else doubling up to CONFIRM_RETRY_MAX_MS. */
export const CONFIRM_RETRY_MS = 1_000
export const CONFIRM_RETRY_MAX_MS = HEADS_SYNC_INTERVAL_MS
/** Blocks of unconfirmed writes also held in memory, to serve peers if the store is lost (a browser's full disk). */
export const MAX_UNCONFIRMED_BLOCK_BYTES = 32 * 1_024 * 1_024

// --- gossip ingestion ---
export const GOSSIP_INGEST_CONCURRENCY = 4
/** Announcements waiting for a slot; beyond this they are dropped and a catch-up is scheduled. */
export const MAX_PENDING_GOSSIP_INGESTS = 256
/** Delay before the catch-up that follows dropped announcements (coalesces a burst). */
export const CATCH_UP_DELAY_MS = 1_000

// --- peer scoring ---
export const INVALID_COMMIT_PENALTY = 50
export const MALFORMED_MESSAGE_PENALTY = 20
export const RATE_LIMIT_PENALTY = 5
/** A protocol stream opened past this node's per-peer limit for that protocol (a stream-open flood). */
export const STREAM_FLOOD_PENALTY = 2
/** A protocol stream that sent no request within REQUEST_FRAME_TIMEOUT_MS, or a Recon session past its deadline. */
export const SLOW_STREAM_PENALTY = 5
/** A request answered with nothing: every block asked for missing, no stream asked for held. */
export const REFUSED_REQUEST_PENALTY = 1
/**
 * Faults an honest peer makes now and then (a block it heard of but we lack, a slow link, a burst
 * past a stream limit) are free up to this allowance, a token bucket per peer; past it each costs
 * its penalty, so only a peer that keeps on is banned.
 */
export const FAULTS_PER_SECOND = 1
export const FAULT_BURST = 20
/** At or below this score a peer is disconnected and its connections refused for BAN_DURATION_MS. */
export const BAN_SCORE = -100
export const BAN_DURATION_MS = 10 * 60_000
/** Penalties fade: a score halves every SCORE_HALF_LIFE_MS. */
export const SCORE_HALF_LIFE_MS = 10 * 60_000

// --- rate limits (token buckets per peer; a request over the limit waits, a flood is refused) ---
export const BLOCK_REQUESTS_PER_SECOND = 200
export const BLOCK_REQUEST_BURST = 400
export const HEADS_REQUESTS_PER_SECOND = 10
export const HEADS_REQUEST_BURST = 40
export const UPDATES_PER_SECOND = 50
export const UPDATE_BURST = 500
/** A request that would have to wait longer than this for its rate slot is refused. */
export const MAX_RATE_WAIT_MS = 2_000

// --- bootstrap dialing ---
export const BOOTSTRAP_BACKOFF_MIN_MS = 1_000
export const BOOTSTRAP_BACKOFF_MAX_MS = 60_000

// --- Recon (range-based set reconciliation of EventIds, reference/ceramic.md §1.11) ---
export const RECON_PROTOCOL = '/kiln/recon/1.0.0'
/** A range with at most this many keys on our side is answered with its keys, not split. */
export const RECON_SMALL_RANGE = 64
/** Keys one range item may carry (a "send me yours" answer above this is split instead). */
export const RECON_MAX_KEYS_PER_RANGE = 256
/** How many sub-ranges an unequal large range is cut into. */
export const RECON_SPLIT = 4
/** Range items per message, as Ceramic's PENDING_RANGES_LIMIT. */
export const RECON_PENDING_RANGES = 20
/** 20 ranges × 4 sub-ranges, or 20 × 256 keys of ~250 bytes, stay below this. */
export const MAX_RECON_MESSAGE_BYTES = 2 * 1_024 * 1_024
/** Messages one side sends in one session (each halves or quarters what differs). */
export const MAX_RECON_ROUNDS = 1_000
export const RECON_SESSION_TIMEOUT_MS = 60_000
/** Recon sessions one peer may have open here at once. */
export const MAX_RECON_STREAMS_PER_PEER = 8
/** Commits whose blocks catch-up fetches before ingesting them (whole streams, so a batch may exceed it). */
export const CATCH_UP_COMMITS_PER_BATCH = 128
/**
 * The first batch is smaller: fetched while nothing else of the catch-up competes for the link and
 * the CPU, it lands within a few round trips, so a fresh node shows data at once (a first batch of
 * 128 beside three others took ~330 ms from the keys to the first stored commit here).
 */
export const CATCH_UP_FIRST_BATCH_COMMITS = 16
/** Batches one catch-up fetches and stores at once (each keeps BLOCK_REQUESTS_IN_FLIGHT requests going). */
export const CATCH_UP_BATCHES_IN_FLIGHT = 4
/**
 * Levels of linked blocks fetched ahead (commit, signed payload, capability, anchor proof and
 * path, then the earlier commit…): a signed commit takes two, so a log of about 20 new commits.
 */
export const CATCH_UP_BLOCK_ROUNDS = 40
/** A catch-up bringing more streams than this is history, not news: it is not announced (catch-up.ts). */
export const CATCH_UP_ANNOUNCED_STREAMS = 100
/** Missing keys an initiator hands to the ingester while its session goes on. */
export const RECON_INGEST_CHUNK = 1_024
/**
 * The first missing keys are handed over sooner, and the session waits for them to be stored (up to
 * RECON_FIRST_CHUNK_WAIT_MS) before it lists the rest: listing competes for both peers' CPU, so a
 * fresh node would otherwise show nothing until most of a large set had been listed.
 */
export const RECON_FIRST_CHUNK = 128
export const RECON_FIRST_CHUNK_WAIT_MS = 2_000
/** Missing keys remembered from one session; the rest wait for the next round. */
export const MAX_RECON_MISSING = 100_000
/** Longest range bound accepted (an EventId is ~80 bytes). */
export const MAX_RECON_KEY_BYTES = 512

// --- direct (WebRTC) connections between browsers, set up through a server peer's relay ---
/** Where browsers announce their relayed WebRTC addresses; server peers pass them on. */
export const DIRECT_PEERS_TOPIC = '/kiln/direct-peers/1'
export const DIRECT_ANNOUNCE_INTERVAL_MS = 5_000
/**
 * After failed direct dials (no route between the two, no host tab yet), a peer is dialed again after
 * DIRECT_REDIAL_FIRST_MS, doubling per failure up to DIRECT_REDIAL_MS: a first dial often fails only
 * because the other browser's host tab was still starting.
 */
export const DIRECT_REDIAL_FIRST_MS = 5_000
export const DIRECT_REDIAL_MS = 60_000
/** Direct connections one browser dials (each is a peer connection its host tab keeps). */
export const MAX_DIRECT_PEERS = 8
/** An announcement lists at most this many addresses (one per relay) in at most this many bytes. */
export const MAX_DIRECT_ANNOUNCE_ADDRS = 8
export const MAX_DIRECT_ANNOUNCE_BYTES = 4_096

// --- presence: who is looking at a stream (ephemeral, never stored; presence.ts) ---
/** Each stream's presence topic is this prefix and the StreamID. */
export const PRESENCE_TOPIC_PREFIX = '/kiln/presence/1/'
/** A presence state (JSON) is at most this big; the whole message, signature and all, at most MAX_PRESENCE_MESSAGE_BYTES. */
export const MAX_PRESENCE_STATE_BYTES = 1_024
export const MAX_PRESENCE_MESSAGE_BYTES = 2_048
/** A presence is forgotten this long after it was sent, unless the sender sends it again. */
export const PRESENCE_TTL_MS = 30_000
/** While a state is set it is sent again this often, so it outlives PRESENCE_TTL_MS. */
export const PRESENCE_REFRESH_MS = 10_000
/** How far ahead of this node's clock a presence may be dated (clocks differ a little). */
export const PRESENCE_CLOCK_SKEW_MS = 10_000
/** Presence messages per sender (cursor moves): past this a local call is refused, a peer's dropped. */
export const PRESENCE_PER_SECOND = 10
export const PRESENCE_BURST = 20
/** Streams a browser watches at once (the oldest without a state of its own is left first). */
export const MAX_PRESENCE_STREAMS = 32
/** Streams a server peer passes presence on for (it joins the topics its peers join). */
export const MAX_RELAYED_PRESENCE_STREAMS = 4_096
