# A 10-line WSGI app (from the newcomer notes): /healthz, and its version on /.
# The test writes VERSION per release; BROKEN makes a release fail at import,
# in the worker (or in the master with --preload).
import os

VERSION = open(os.path.join(os.path.dirname(__file__), "VERSION")).read().strip()
if VERSION.endswith("-broken"):
    import no_such_module  # noqa: F401


def app(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    body = b"ok\n" if path == "/healthz" else ("hello from %s port %s\n" % (VERSION, environ.get("SERVER_PORT"))).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
