"""The /sparql query answer, once: protocol, negotiation, ETag/304, the run, the reply.

Both the Flask view (web.sparql.view) and the WSGI fast lane (web.sparql.lane) call
`SparqlEndpoint.respond` with a Werkzeug Request and send the Reply it returns, so a query gets
the same status, headers and bytes whichever path carries it. It answers every request that holds
a query (or an update, or a protocol error); a bare GET (the service description or the query
page) is left to the view: `respond` returns None.
"""

from __future__ import annotations

from werkzeug.wrappers import Request

from ...query.executor import QueryResponse
from ...query.service import Service, request_key
from ..negotiation import Negotiator
from ..reply import Reply, answer_headers, message_of, not_modified, status_of, text_error
from .protocol import ProtocolError, choose_format, parse_call

TRUNCATED = {"X-Result-Truncated": "true"}


class SparqlEndpoint:
    """Answer SPARQL 1.1 Protocol queries for one app: its Service and its Negotiator."""

    def __init__(self, service: Service, negotiator: Negotiator) -> None:
        self.service = service
        self.negotiator = negotiator
        self.max_chars = int(service.settings["ALSKG_MAX_QUERY_CHARS"])

    def respond(self, request: Request) -> Reply | None:
        """Answer a protocol request; None for a request without a query (a bare GET)."""
        try:
            call = parse_call(request, self.max_chars)
            if call.query is None:
                return None
            fmt = choose_format(call, request.headers.get("Accept"), self.negotiator)
        except ProtocolError as exc:  # the protocol's own texts, as plain text
            return text_error(exc.status, exc.message)
        svc = self.service
        query_request = svc.request(call.query, spec=call.spec, format_key=fmt.key)
        etag = svc.etag(request_key(query_request))
        if request.if_none_match.contains(etag):
            return not_modified(etag)
        return query_reply(svc.run(query_request), etag)


def query_reply(result: QueryResponse, etag: str | None) -> Reply:
    """Return the reply to a run query: its bytes, or the plain-text error that stopped it."""
    if result.error is not None:
        return text_error(status_of(result.error), message_of(result.error), {"Vary": "Accept"})
    return Reply(200, answer_headers(result.content_type, etag=etag, negotiated=True,
                                     headers=TRUNCATED if result.truncated else None),
                 result.body)
