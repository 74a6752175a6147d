"""The network room: the only code that sends requests.

``policy`` says where a lookup may connect, ``deadline`` bounds a whole lookup,
``transport`` is the seam to the wire (with a mock for tests), ``fetcher`` follows redirects
and reads capped bodies over a transport, and ``http`` is the real transport, the only module
that opens sockets (it imports ssl, so nothing imports it until a lookup needs it); h11
reads and writes HTTP/1.1 for it, and ``wire`` holds what the client adds around h11 as pure
functions over bytes (the request target, the limits, content decoding); ``resolve`` turns
names into addresses in threads the deadline can abandon.
"""
