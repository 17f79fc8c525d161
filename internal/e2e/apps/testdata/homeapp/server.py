# An app that keeps its state under $HOME, as many servers do (config
# autosave, certificate storage, caches): at start it writes $HOME/state and
# refuses to run without it; / answers its version, HOME and what it wrote.
import http.server
import os
import sys

home = os.environ.get("HOME")
if not home:
    sys.exit("HOME not defined")
state = os.path.join(home, "state")
with open(state, "a") as f:
    f.write("started %s\n" % os.environ["SYSROLL_INSTANCE"])
VERSION = open(os.path.join(os.path.dirname(__file__), "VERSION")).read().strip()


class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"ok\n" if self.path == "/healthz" else ("hello from %s HOME=%s %s" % (VERSION, home, open(state).read())).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
