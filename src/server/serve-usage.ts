// Defaults and help text of `kiln serve`, apart from the command so `kiln --help` loads no libp2p.
export const DEFAULT_HOST = '127.0.0.1'
export const DEFAULT_PORT = 4010
export const DEFAULT_HTTP_PORT = 4011
/** Secure WebSockets listen here when a certificate is given. */
export const DEFAULT_TLS_PORT = 4443

export const SERVE_USAGE = `  serve [--port 4010] [--host 127.0.0.1] [--listen <multiaddr>]… [--http-port 4011]
        [--bootstrap <multiaddr>]… [--topic /kiln/dev] [--index <modelId>:<field>[+<field>…]]…
        [--interest all|model:<id>|controller:<did>|family:<f>|schema:<commitId>|stream:<id>]…
        [--tls-cert cert.pem --tls-key key.pem [--tls-port 4443]] [--config kiln.json]
        [--anchor-chain eip155:<n> --anchor-key-file key.txt [--anchor-contract 0x…] [--anchor-interval 600]]
        [--file-limit 100MiB] [--file-quota <size>] [--gc-interval 1h] [--gc-grace 1h]
        [--http-max-header-bytes 16KiB] [--http-headers-timeout 10s] [--http-request-timeout 30s]
        [--http-max-connections 1024]
                                          run a server peer (libp2p WebSockets, wss with a certificate, + HTTP API)
                                          until SIGINT/SIGTERM. --index declares a field index of a Model's documents
                                          for GET /models/<id>/documents?where=&sort= (relation fields are indexed
                                          without it). --file-limit: the largest file kept or fetched; --file-quota: the
                                          bytes of file blocks kept at most (none by default); sizes as 100MB, 1GiB, 512.
                                          --gc-interval: how often file blocks no held document names are removed
                                          (0 never), once older than --gc-grace; durations as 30s, 15m, 1h, 2d, 3600.
                                          HTTP limits per client: request line and headers in bytes (past it 431), time
                                          to send the headers and the whole request (past it 408), and open connections
                                          at once (more are closed on arrival).
                                          env: KILN_HOST, KILN_PORT, KILN_HTTP_PORT, KILN_BOOTSTRAP (a,b),
                                          KILN_INDEX (a,b), KILN_TOPIC, KILN_TLS_CERT, KILN_TLS_KEY, KILN_TLS_PORT,
                                          KILN_FILE_LIMIT, KILN_FILE_QUOTA, KILN_GC_INTERVAL, KILN_GC_GRACE,
                                          KILN_HTTP_MAX_HEADER_BYTES, KILN_HTTP_HEADERS_TIMEOUT, KILN_HTTP_REQUEST_TIMEOUT,
                                          KILN_HTTP_MAX_CONNECTIONS,
                                          KILN_CONFIG (a JSON file with the flags' names as keys). --anchor-chain anchors
                                          the held streams' new tips on that chain (also --eth-rpc for it) every
                                          --anchor-interval seconds from the funded key in the file (or KILN_ANCHOR_KEY),
                                          calling Ceramic's contract unless --anchor-contract; POST /streams/<id>/anchor asks`
