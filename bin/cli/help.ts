/**
 * Help texts: the overview (`constellation --help`) and one text per command
 * (`constellation <command> --help`, also printed with a usage error).
 */

const OVERVIEW = `Usage: constellation [options] <command> [arguments]

Commands:
  serve                              Start the server (as npm start does)
  compile <file>                     Compile a .cst file and print its diagnostics
  run <file>                         Compile and run a pipeline
  viz <file>                         Print the pipeline's DAG (dot, mermaid or json)
  lsp --stdio                        Language server on stdin/stdout (for editors)
  server health                      GET /health
  server metrics                     GET /metrics
  server pipelines [show <ref>]      List stored pipelines, or show one
  server executions list             List suspended executions (-n/--limit N)
  server executions show <id>        Show one execution: running, finished or suspended
  server executions cancel <id>      Cancel a running execution (wherever it runs)
  server executions delete <id>      Discard a suspended execution
  provide <file>                     Serve a file's modules to engines as a module provider
  help [command]                     This text, or a command's

Options:
  -s, --server <url>   Server base URL (else CONSTELLATION_SERVER_URL, ~/.constellation/config.json,
                       http://localhost:8080); for compile and run it selects server mode
  -t, --token <key>    API key, sent as Bearer (else CONSTELLATION_TOKEN)
  -j, --json           Print one JSON object
  -q, --quiet          Less output
  -v, --verbose        Show HTTP requests on stderr
  -V, --version        Print the version
  -h, --help           Print help

Exit codes: 0 success (also a suspended run), 1 compile error, 2 runtime error / unexpected
reply / server unhealthy, 3 connection error, 4 auth error (401/403), 5 not found, 6 conflict,
10 usage error.
`;

const COMMAND_HELP: Readonly<Record<string, string>> = {
  serve: `Usage: constellation serve [--port N] [--data-dir DIR] [--json]

Starts the server as npm start does, configured by the CONSTELLATION_* variables.
  --port N          Overrides CONSTELLATION_PORT (0 = any free port)
  --data-dir DIR    Overrides CONSTELLATION_DATA_DIR
  --json            JSON log lines (CONSTELLATION_LOG_FORMAT=json)
`,
  compile: `Usage: constellation compile <file> [--modules a.js,b.js] [--server <url> | --remote]

Compiles locally against the standard library, the example modules and the module files of
--modules and CONSTELLATION_MODULES, and prints diagnostics as file:line:column. With --server
(or --remote: the configured server) the source goes to POST /compile under the file's stem.
Exit 1 when there are compile errors.
`,
  run: `Usage: constellation run <file> [-i key=value]... [--inputs file.json] [--modules a.js,b.js]
                        [--server <url> | --remote] [--async]

Compiles and runs the pipeline in this process (or with POST /run on a server).
  -i, --input key=value       An input; the value is JSON if it parses, else true/false/null,
                              else a number, else text. Repeatable; wins over --inputs.
  -f, --inputs, --input-file  A JSON object of inputs (at most 10 MiB)
  --async                     With a server: start the run and print its execution id at once
                              (follow it with 'server executions show <id>')
Exit 0 when the run completed or suspended (the missing inputs are listed), 2 when it failed,
1 on compile errors.
`,
  viz: `Usage: constellation viz <file> [-F dot|mermaid|json] [--modules a.js,b.js]

Compiles locally and prints the DAG: Graphviz DOT (default), Mermaid, or a JSON graph.
`,
  server: `Usage: constellation server <health | metrics | pipelines [show <ref>] | executions list|show <id>|cancel <id>|delete <id>>

Talks to a running server (--server, CONSTELLATION_SERVER_URL, default http://localhost:8080).
  -n, --limit N     Show at most N entries (pipelines, executions list)
`,
  provide: `Usage: constellation provide <file> -e <host:port> [-e <host:port>]... [--namespace NS]
                        [--group ID] [--executor-port N] [--advertise host:port]

Serves the modules the file exports (defineModule) to Constellation engines over gRPC (the
Module Provider Protocol) until SIGTERM/SIGINT, or until every engine has drained it.
  -e, --engine host:port   An engine's provider port (repeatable; also CONSTELLATION_PROVIDER_ENGINES)
  --namespace NS           Namespace of the modules (else the file's exported \`namespace\`)
  --group ID               Join a scaling group (else the file's exported \`groupId\`)
  --executor-port N        Port of this provider's executor (default: any free port)
  --advertise host:port    Address engines call the executor at (default: 127.0.0.1 for
                           engines on loopback, else this machine's host name)
The shared secret, when the engines require one, comes from CONSTELLATION_PROVIDER_TOKEN; the
heartbeat interval from CONSTELLATION_PROVIDER_HEARTBEAT_INTERVAL (default 5s).
`,
  lsp: `Usage: constellation lsp --stdio [--modules a.js,b.js]

Runs the language server on stdin/stdout, for editors that start a server process (Neovim,
Helix, Emacs, Zed). Modules: the standard library, the example modules and the module files of
--modules and CONSTELLATION_MODULES, as 'run' uses. Logs go to stderr. Exits 0 after the
client's shutdown and exit, 1 when the client goes away without them.
`,
  help: `Usage: constellation help [command]
`,
};

export function helpText(command?: string): string {
  return (command !== undefined ? COMMAND_HELP[command] : undefined) ?? OVERVIEW;
}
