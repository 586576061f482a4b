// Defaults and help text of `kiln serve`, apart from the command so `kiln --help` loads no libp2p.
export const DEFAULT_HOST = '127.0.0.1'
export const DEFAULT_PORT = 4010
export const DEFAULT_HTTP_PORT = 4011

export const SERVE_USAGE = `  serve [--port 4010] [--host 127.0.0.1] [--listen <multiaddr>]… [--http-port 4011]
        [--bootstrap <multiaddr>]… [--interest all|model:<id>|controller:<did>|stream:<id>]… [--topic /kiln/dev]
                                          run a server peer (libp2p WebSockets + HTTP API) until SIGINT/SIGTERM;
                                          env: KILN_HOST, KILN_PORT, KILN_HTTP_PORT, KILN_BOOTSTRAP (a,b), KILN_TOPIC`
