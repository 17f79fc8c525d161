// A 10-line Node http app (from the newcomer notes): PORT from the
// environment, and on / its version and the PORT it was given, so the test
// sees that each instance got its own. A "-broken" release throws 1.5 s
// after start, inside healthy_for.
const http = require("http");
const fs = require("fs");
const VERSION = fs.readFileSync(__dirname + "/VERSION", "utf8").trim();
if (VERSION.endsWith("-broken")) setTimeout(() => { throw new Error(VERSION + ": crash 1.5s after start"); }, 1500);
const srv = http.createServer((req, res) => {
  res.end(req.url === "/healthz" ? "ok\n" : "hello from " + VERSION + " PORT=" + process.env.PORT + "\n");
});
srv.listen({ port: Number(process.env.PORT), host: "127.0.0.1" }, () => console.log("listening on", process.env.PORT));
process.on("SIGTERM", () => srv.close(() => process.exit(0)));
