"""How gunicorn serves the app everywhere it runs (`make run`, the container, bench/run and the
fault drills), read from the working directory. Command-line options override it.

Threaded workers: a sync worker is held by one connection from accept to response, so a browser
that opens a connection and sends its request later (pre-connect, a user reading the page)
blocks a whole worker meanwhile. A gthread worker waits for such connections in a poller and
gives a thread only to a request that has arrived. Run behind a reverse proxy, the proxy's own
keep-alive settings apply to the browser.

One thread per worker by default (WEB_THREADS): a worker's threads share one interpreter lock,
so a request whose query has come back waits for the lock behind the other threads' page
rendering. On the load data set, four threads per worker served the worklist at 31 requests/s
and the triage queue at 53/s, against 43/s and 84/s with one.
"""

import os

workers = int(os.environ.get("WEB_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "1"))
# Seconds an idle kept-alive connection stays open: longer than the moment between a user's
# requests while they read a page, so the next request does not meet a connection just closed.
keepalive = 5
