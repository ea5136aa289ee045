#!/usr/bin/python3
"""A DNS server for tests, on loopback: answers from a zone given as JSON,
with Debian's python3-dnslib (hence /usr/bin/python3, whatever runs the
tests). Run as "dnszone.py ZONE.json"; prints "port N" once it listens
(UDP and TCP on 127.0.0.1, a free port) and serves until stdin closes.

The zone is {"records": [[name, type, value...], ...]} with types A, AAAA,
CNAME (target), MX (preference, host), SRV (priority, weight, port,
target), TXT (text). A name without records answers NXDOMAIN; a name with
records of other types answers NOERROR and no data; a CNAME is followed
inside the zone, as a recursive resolver would."""
import json
import sys

from dnslib import AAAA, CNAME, MX, QTYPE, RCODE, RR, SRV, TXT, A, DNSLabel
from dnslib.server import BaseResolver, DNSLogger, DNSServer


def rdata(rtype, values):
    if rtype == "A":
        return A(values[0])
    if rtype == "AAAA":
        return AAAA(values[0])
    if rtype == "CNAME":
        return CNAME(values[0])
    if rtype == "MX":
        return MX(values[1], values[0])
    if rtype == "SRV":
        return SRV(priority=values[0], weight=values[1], port=values[2],
                   target=values[3])
    if rtype == "TXT":
        return TXT(values[0])
    raise ValueError("unknown type %s" % rtype)


class ZoneResolver(BaseResolver):

    def __init__(self, records):
        self.zone = {}
        for rec in records:
            name = rec[0].lower().rstrip(".")
            self.zone.setdefault(name, []).append((rec[1], rdata(rec[1], rec[2:])))

    def resolve(self, request, handler):
        reply = request.reply()
        qtype = QTYPE[request.q.qtype]
        name = str(request.q.qname).lower().rstrip(".")
        for _ in range(8):
            recs = self.zone.get(name)
            if recs is None:
                if not reply.rr:
                    reply.header.rcode = RCODE.NXDOMAIN
                return reply
            cname = [r for t, r in recs if t == "CNAME"]
            if cname and qtype != "CNAME":
                reply.add_answer(RR(DNSLabel(name), QTYPE.CNAME, rdata=cname[0], ttl=60))
                name = str(cname[0].label).lower().rstrip(".")
                continue
            for t, r in recs:
                if t == qtype:
                    reply.add_answer(RR(DNSLabel(name), getattr(QTYPE, t), rdata=r, ttl=60))
            return reply
        return reply


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        zone = json.load(f)
    resolver = ZoneResolver(zone["records"])
    quiet = DNSLogger("-recv,-send,-request,-reply,-truncated,-error,-data")
    # One port for both: a free TCP port whose UDP twin may be taken.
    for _ in range(20):
        tcp = DNSServer(resolver, port=0, address="127.0.0.1", tcp=True,
                        logger=quiet)
        port = tcp.server.server_address[1]
        try:
            udp = DNSServer(resolver, port=port, address="127.0.0.1",
                            logger=quiet)
            break
        except OSError:
            tcp.server.server_close()
    else:
        sys.exit("no free port for UDP and TCP")
    udp.start_thread()
    tcp.start_thread()
    print("port %d" % port, flush=True)
    sys.stdin.read()
    udp.stop()
    tcp.stop()


if __name__ == "__main__":
    main()
