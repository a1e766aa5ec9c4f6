#!/usr/bin/env node
/*
 * Launch @vercel/cosmosdb-server 1.0.1 (tests/support/node) over HTTPS for the
 * tests and benchmarks, with two corrections that make it behave like Cosmos DB:
 *
 * 1. Reading a missing document answers 404 NotFound. The package's
 *    read-document handler dereferences the missing document and answers 500
 *    (formats.md, "Known bug"). The handler is wrapped before the package
 *    index (and with it the route table, which copies each handler once) is
 *    required.
 * 2. A container whose indexing policy has indexingMode "none" refuses queries
 *    with a WHERE clause, with the 400 BadRequest that Cosmos DB answers
 *    ("filters against path(s) excluded from indexing"). The package ignores
 *    the indexing policy, so without this the explorer's scan fallback for
 *    such containers (which bots create) could not be exercised.
 * 3. The account's read/write locations name the address the client connected
 *    to (its Host header), not the port the server listens on. SDKs switch to
 *    those locations after their first request; without this a client behind a
 *    proxy (the latency benchmarks, the TLS test) would silently bypass it.
 * 4. Reading a container with quota info (x-ms-documentdb-populatequotainfo:
 *    true) answers its document count in x-ms-resource-usage (and the limits
 *    in x-ms-resource-quota), as Cosmos DB does; the package leaves them out.
 *    The explorer shows a container's total from it instead of a COUNT query.
 *
 * Usage: node cosmos_server.js [--port N] [--host H] [--exit-with-stdin]
 * (port 0 = any free port; --exit-with-stdin: stop when stdin closes, so an
 * emulator never outlives a test run that was killed)
 * Prints one line "Ready to accept HTTPS connections at HOST:PORT" when ready.
 * Connections are kept alive, as Cosmos DB does (the package closes each
 * connection after one response unless told otherwise).
 */
"use strict";

const path = require("path");

const nodeDir = path.join(__dirname, "node");
const pkgDir = path.dirname(
  require.resolve("@vercel/cosmosdb-server/package.json", { paths: [nodeDir] })
);
const lib = path.join(pkgDir, "lib");

// -- 1. missing document -> 404 (before ./routes copies the handler) ---------
const readDocument = require(path.join(lib, "handler", "read-document.js"));
const partitionHeader = require(path.join(lib, "utils", "get-partition-from-header.js"));
const originalReadDocument = readDocument.default;
readDocument.default = (account, req, res, params) => {
  const collection = account.database(params.dbId).collection(params.collId);
  if (collection.read()) {
    let partition;
    try {
      partition = partitionHeader.parsePartitionKey(
        partitionHeader.default(req),
        params.docId
      );
    } catch (err) {
      partition = undefined; // let the package answer a malformed header itself
    }
    if (partition !== undefined && !collection.document(params.docId, partition).read()) {
      res.statusCode = 404;
      return {
        code: "NotFound",
        message: "Entity with the specified id does not exist in the system."
      };
    }
  }
  return originalReadDocument(account, req, res, params);
};

// -- 2. indexingMode "none" refuses filtered queries -------------------------
const Documents = require(path.join(lib, "account", "documents.js")).default;
const itemsQuery = Object.getPrototypeOf(Documents.prototype).query;
Documents.prototype.query = function query(params, options) {
  const collection = this._parent.read();
  const policy = (collection && collection.indexingPolicy) || {};
  const mode = String(policy.indexingMode || "consistent").toLowerCase();
  if (mode === "none" && /\bwhere\b/i.test(String((params && params.query) || ""))) {
    const err = new Error(
      "An invalid query has been specified with filters against path(s) excluded " +
        "from indexing. Consider adding allow scan header in the request."
    );
    err.badRequest = true;
    throw err;
  }
  return itemsQuery.call(this, params, options);
};

// -- 3. locations follow the address the client used -------------------------
const readMeta = require(path.join(lib, "handler", "read-meta.js"));
const originalReadMeta = readMeta.default;
readMeta.default = (account, req, res, params) => {
  const meta = originalReadMeta(account, req, res, params);
  const host = req.headers.host;
  if (!meta || !host) return meta;
  const here = (locations) =>
    (locations || []).map(l => ({ ...l, databaseAccountEndpoint: `https://${host}/` }));
  return {
    ...meta,
    writableLocations: here(meta.writableLocations),
    readableLocations: here(meta.readableLocations)
  };
};

// -- 4. quota info on a container read --------------------------------------
const readCollection = require(path.join(lib, "handler", "read-collection.js"));
const originalReadCollection = readCollection.default;
readCollection.default = async (account, req, res, params) => {
  const coll = await originalReadCollection(account, req, res, params);
  const asked = String(req.headers["x-ms-documentdb-populatequotainfo"] || "").toLowerCase();
  if (res.statusCode !== 404 && asked === "true") {
    const docs = account.database(params.dbId).collection(params.collId).documents;
    const count = docs._data.size;
    const kb = Math.ceil(count / 2); // Cosmos DB reports sizes in KB; ~0.5 KB a state
    res.setHeader(
      "x-ms-resource-usage",
      `functions=0;storedProcedures=0;triggers=0;documentSize=${Math.ceil(kb / 1024)};` +
        `documentsSize=${kb};documentsCount=${count};collectionSize=${kb}`
    );
    res.setHeader(
      "x-ms-resource-quota",
      "functions=25;storedProcedures=100;triggers=25;documentSize=10240;" +
        "documentsSize=10485760;documentsCount=-1;collectionSize=10485760"
    );
  }
  return coll;
};

// -- start --------------------------------------------------------------------
const { createHttpsServer } = require(lib);

const argv = process.argv.slice(2);
let port = 0;
let host = "127.0.0.1";
while (argv.length) {
  const arg = argv.shift();
  if (arg === "--port" || arg === "-p") port = parseInt(argv.shift(), 10);
  else if (arg === "--host") host = argv.shift();
}

const server = createHttpsServer({ keepAlive: true });
server.keepAliveTimeout = 60000;
server.listen(port, host, () => {
  const address = server.address();
  // eslint-disable-next-line no-console
  console.log(`Ready to accept HTTPS connections at ${host}:${address.port}`);
});
// exit at once: server.close() would wait for idle keep-alive connections
process.on("SIGTERM", () => process.exit(0));
process.on("SIGINT", () => process.exit(0));
// --exit-with-stdin: the starter holds our stdin open; if it dies, so do we
if (process.argv.includes("--exit-with-stdin")) {
  process.stdin.on("end", () => process.exit(0));
  process.stdin.on("error", () => process.exit(0));
  process.stdin.resume();
}
