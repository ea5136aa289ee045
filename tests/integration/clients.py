"""Acceptance checks that mirror what real mail clients enforce on a
config-v1.1 document (PROTOCOLS.md section 1) and on an Autodiscover answer
(section 2). A test that passes a document through these is asserting
"Thunderbird / Thunderbird for Android / Outlook would take this", not
merely "this is XML". Two checks run the real thing: the draft's RELAX NG
schema under xmllint, and exchangelib's own Autodiscover parser."""
import json
import os
import re
import shutil
import subprocess
import urllib.parse
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.environ.get("TOP_SRCDIR", os.path.dirname(os.path.dirname(HERE)))

K9_AUTH = {"OAuth2", "password-cleartext", "password-encrypted"}
TEXT_ELEMENTS = {"domain", "displayName", "displayShortName", "hostname",
                 "port", "socketType", "username", "authentication", "url"}

# Thunderbird desktop (2026): the incoming types it reads (graph only
# behind a preference, off by default), and the authentication values it
# maps; OAuth2 only for hosts it knows, which no test host is.
TB_INCOMING = {"imap", "pop3", "nntp", "ews", "owa", "exchange"}
TB_AUTH = {"password-cleartext", "password-encrypted", "GSSAPI", "NTLM"}
# Outgoing servers may also say that no login is needed.
TB_AUTH_OUT = TB_AUTH | {"none", "client-IP-address", "smtp-after-pop"}
TB_SOCKET = {"plain", "SSL", "STARTTLS"}
HOSTNAME = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*"
                      r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


def _server(el):
    """One server section as written: every child text, attributes kept."""
    port = el.findtext("port")
    return {
        "kind": el.tag,
        "type": el.get("type"),
        "url": el.findtext("url"),
        "hostname": el.findtext("hostname"),
        "port": int(port) if port is not None and port.isdigit() else port,
        "socketType": el.findtext("socketType"),
        "username": el.findtext("username"),
        "auth": [a.text for a in el.findall("authentication")],
        "leave": el.findtext("pop3/leaveMessagesOnServer"),
        "element": el,
    }


def parse_autoconfig(body):
    """Parses the document into a dict, asserting its basic shape and its
    validity under the draft's RELAX NG schema: every autoconfig answer a
    test reads is validated."""
    assert not body.startswith(b"\xef\xbb\xbf"), "BOM"
    problems = relaxng_problems(body)
    assert problems == [], "not valid under autoconfig.rng: %r" % problems
    root = ET.fromstring(body)
    assert root.tag == "clientConfig", root.tag
    assert root.get("version") == "1.1"
    prov = root.find("emailProvider")
    assert prov is not None
    servers = [_server(el) for el in prov
               if el.tag in ("incomingServer", "outgoingServer")]
    doc = root.find("emailProvider/documentation")
    web = root.find("webMail/loginPage")
    return {
        "id": prov.get("id"),
        "domains": [d.text for d in prov.findall("domain") if not d.attrib],
        "mx_domains": [d.text for d in prov.findall("domain")
                       if d.get("purpose") == "mx"],
        "displayName": prov.findtext("displayName"),
        "displayShortName": prov.findtext("displayShortName"),
        "servers": servers,
        # The draft's root sections (calendar, setupServer, ...).
        "sections": [_server(el) for el in root
                     if el.tag in ("calendar", "addressbook", "fileShare",
                                   "chatServer", "videoConference",
                                   "setupServer")],
        "documentation": doc.get("url") if doc is not None else None,
        "webmail": web.get("url") if web is not None else None,
        "root": root,
    }


def _tb_server(s, outgoing):
    """The server Thunderbird builds from one section, or the reason it
    skips the section (a str). Each section is read on its own."""
    el = s["element"]
    for c in el:
        if c.tag in TEXT_ELEMENTS and c.attrib:
            return "attribute on <%s>" % c.tag
    if outgoing:
        if s["type"] != "smtp":
            return "outgoing type %r" % s["type"]
    elif s["type"] not in TB_INCOMING:
        return "incoming type %r" % s["type"]
    if s["url"] is not None and not outgoing:
        # A URL gives the host, and SSL for https.
        u = urllib.parse.urlsplit(s["url"])
        if u.scheme not in ("https", "http") or not u.hostname:
            return "url %r" % s["url"]
        host, port = u.hostname, u.port or (443 if u.scheme == "https" else 80)
        sock = "SSL" if u.scheme == "https" else "plain"
    else:
        host, port = s["hostname"], s["port"]
        socks = [t.text for t in el.findall("socketType") if t.text in TB_SOCKET]
        if not host or not HOSTNAME.match(host):
            return "hostname %r" % host
        if not isinstance(port, int) or not 1 <= port <= 65535:
            return "port %r" % (port,)
        if not socks:
            return "no socketType it knows"
        sock = socks[0]
    mapped = [a for a in s["auth"] if a in (TB_AUTH_OUT if outgoing else TB_AUTH)]
    if not mapped:
        return "no authentication it maps in %r" % (s["auth"],)
    if s["username"] is None and (not outgoing or mapped[0].startswith("password")):
        # Thunderbird would log in as "undefined".
        return "no username"
    return {"type": s["type"], "hostname": host, "port": port,
            "socketType": sock, "username": s["username"], "auth": mapped[0]}


def thunderbird_read(body):
    """What Thunderbird desktop makes of the document: its incoming and
    outgoing servers (the first of each is the account, the rest
    alternatives), and the sections it skipped with the reason."""
    doc = parse_autoconfig(body)
    out = {"incoming": [], "outgoing": [], "skipped": []}
    for s in doc["servers"]:
        outgoing = s["kind"] == "outgoingServer"
        r = _tb_server(s, outgoing)
        if isinstance(r, str):
            out["skipped"].append((s["type"], r))
        else:
            out["outgoing" if outgoing else "incoming"].append(r)
    return out


def thunderbird_problems(content_type, body):
    """Why Thunderbird desktop would reject the answer ([] if it would not)."""
    p = []
    if not (content_type.startswith("text/xml") or
            content_type.startswith("application/xml")):
        p.append("content type %r" % content_type)
    doc = parse_autoconfig(body)
    if not doc["id"] or not HOSTNAME.match(doc["id"]):
        p.append("emailProvider id %r" % doc["id"])
    if not doc["displayName"]:
        p.append("no displayName")
    if len(doc["displayName"] or "") > 60:
        p.append("displayName over 60 characters")
    prov = doc["root"].find("emailProvider")
    for el in prov:
        if el.tag in ("displayName", "displayShortName") and el.attrib:
            p.append("attribute on <%s>" % el.tag)
    # Each <domain> on its own: one with an attribute is skipped.
    if not [d for d in prov.findall("domain")
            if not d.attrib and d.text and HOSTNAME.match(d.text)]:
        p.append("no plain <domain>")
    tb = thunderbird_read(body)
    if not tb["incoming"]:
        p.append("no incoming server it reads: %r" % tb["skipped"])
    if not tb["outgoing"]:
        p.append("no outgoing server it reads: %r" % tb["skipped"])
    return p


def thunderbird_flaws(body):
    """The sections Thunderbird skips for a flaw rather than for a type it
    does not support (jmap, activesync): each costs the user a server."""
    return [(t, why) for t, why in thunderbird_read(body)["skipped"]
            if not why.startswith(("incoming type", "outgoing type"))]


def k9_problems(body):
    """Why Thunderbird for Android / K-9 would reject the WHOLE file. It
    reads the imap and smtp servers only, each strictly, and needs one of
    each."""
    p = []
    doc = parse_autoconfig(body)
    if not doc["id"] or not HOSTNAME.match(doc["id"]):
        p.append("emailProvider id %r" % doc["id"])
    if not [d for d in doc["domains"] if d and HOSTNAME.match(d)]:
        p.append("no valid domain")
    kinds = set()
    for s in doc["servers"]:
        if (s["kind"], s["type"]) not in (("incomingServer", "imap"),
                                          ("outgoingServer", "smtp")):
            continue
        kinds.add(s["type"])
        for c in s["element"]:
            if len(c):
                p.append("%s server: <%s> holds elements" % (s["type"], c.tag))
        if not s["hostname"] or not HOSTNAME.match(s["hostname"]):
            p.append("%s server hostname %r" % (s["type"], s["hostname"]))
        if not isinstance(s["port"], int) or not 0 <= s["port"] <= 65535:
            p.append("%s server port %r" % (s["type"], s["port"]))
        if s["username"] is None:
            p.append("%s server without username" % s["type"])
        if not K9_AUTH & set(s["auth"]):
            p.append("%s server without a usable auth method" % s["type"])
        if s["socketType"] not in ("SSL", "STARTTLS"):
            p.append("%s server with socketType %r" % (s["type"], s["socketType"]))
    for t in ("imap", "smtp"):
        if t not in kinds:
            p.append("no %s server" % t)
    return p


def _schema():
    """The draft's RELAX NG schema: ../shared beside the source tree, or,
    for make distcheck's copy of the tree inside a build directory, beside
    the checkout that holds that build directory."""
    tops = [os.path.abspath(TOP)]
    d = os.path.dirname(tops[0])
    while os.path.dirname(d) != d:
        if os.path.isfile(os.path.join(d, "configure.ac")):
            tops.append(d)
            break
        d = os.path.dirname(d)
    for t in tops:
        f = os.path.join(t, "..", "shared", "reference", "autoconfig", "autoconfig.rng")
        if os.path.isfile(f):
            return os.path.normpath(f)
    raise AssertionError("the RELAX NG schema ../shared/reference/autoconfig/"
                         "autoconfig.rng is missing beside %s" % " or ".join(tops))


_VALID = set()     # bodies xmllint has passed, each validated once


def relaxng_problems(body):
    """What xmllint --relaxng says against the draft-06 schema ([] when the
    document is valid)."""
    if body in _VALID:
        return []
    xmllint = shutil.which("xmllint")
    if xmllint is None:
        raise AssertionError("xmllint is not installed (Debian package "
                             "libxml2-utils; scripts/install-deps)")
    r = subprocess.run([xmllint, "--noout", "--relaxng", _schema(), "-"],
                       input=body, capture_output=True, timeout=30)
    if r.returncode == 0:
        _VALID.add(body)
        return []
    return [l for l in r.stderr.decode("utf-8", "replace").splitlines()
            if l and "validates" not in l] or ["xmllint exit %d" % r.returncode]


# ---- Microsoft Autodiscover (PROTOCOLS.md section 2) ----------------------

AD_NS = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"
AD_OUTLOOK = ("http://schemas.microsoft.com/exchange/autodiscover/outlook/"
              "responseschema/2006a")
AD_MOBILESYNC = ("http://schemas.microsoft.com/exchange/autodiscover/mobilesync/"
                 "responseschema/2006")
IMPLICIT_TLS_PORTS = {993, 995, 465}


def _q(ns, tag):
    return "{%s}%s" % (ns, tag)


def parse_outlook(body):
    """The Protocol blocks of an Outlook (2006a) answer, each a list of
    (element, text) in document order, plus the Account's own fields."""
    root = ET.fromstring(body)
    assert root.tag == _q(AD_NS, "Autodiscover"), root.tag
    resp = root.find(_q(AD_OUTLOOK, "Response"))
    assert resp is not None, "no 2006a Response"
    acct = resp.find(_q(AD_OUTLOOK, "Account"))
    assert acct is not None, "no Account"
    protos = []
    for p in acct.findall(_q(AD_OUTLOOK, "Protocol")):
        protos.append([(c.tag.split("}")[1], c.text) for c in p])
    user = resp.find(_q(AD_OUTLOOK, "User"))
    return {
        "children": [c.tag.split("}")[1] for c in resp],
        "User": None if user is None else
        [(c.tag.split("}")[1], c.text) for c in user],
        "AccountType": acct.findtext(_q(AD_OUTLOOK, "AccountType")),
        "Action": acct.findtext(_q(AD_OUTLOOK, "Action")),
        "protocols": protos,
    }


def outlook_problems(content_type, body):
    """Why classic Outlook would misconfigure or refuse the answer."""
    p = []
    if not content_type.startswith("text/xml"):
        p.append("content type %r" % content_type)
    if re.search(rb"<[A-Za-z_][\w.-]*:", body):
        p.append("prefixed element (Outlook wants default namespaces)")
    doc = parse_outlook(body)
    if doc["AccountType"] != "email":
        p.append("AccountType %r" % doc["AccountType"])
    if doc["Action"] != "settings":
        p.append("Action %r" % doc["Action"])
    types = []
    for proto in doc["protocols"]:
        f = dict(proto)
        types.append(f.get("Type"))
        if f.get("Type") not in ("IMAP", "POP3", "SMTP"):
            p.append("Type %r" % f.get("Type"))
        if not f.get("Server"):
            p.append("Protocol without Server")
        if not (f.get("Port") or "").isdigit():
            p.append("Port %r" % f.get("Port"))
        # SPA defaults to on (NTLM) when absent.
        if f.get("SPA") != "off":
            p.append("SPA %r (must be present and off)" % f.get("SPA"))
        for k in ("SSL", "DomainRequired", "AuthRequired"):
            if f.get(k) not in ("on", "off"):
                p.append("%s %r (on/off only)" % (k, f.get(k)))
        enc = f.get("Encryption")
        if enc not in ("None", "SSL", "TLS", "Auto"):
            p.append("Encryption %r" % enc)
        port = int(f["Port"]) if (f.get("Port") or "").isdigit() else 0
        if port in IMPLICIT_TLS_PORTS and enc != "SSL":
            p.append("port %d with Encryption %r (implicit TLS is SSL)" % (port, enc))
        if port == 587 and enc != "TLS":
            p.append("port 587 with Encryption %r (STARTTLS is TLS)" % enc)
        if f.get("SSL") == "off" or enc == "None":
            p.append("unencrypted server advertised")
        # Absent when unknown: the client uses the address or asks. Never
        # empty (Thunderbird would log in as "true").
        if "LoginName" in f and (not f["LoginName"] or "%" in f["LoginName"]):
            p.append("LoginName %r" % f["LoginName"])
        if f.get("Type") == "SMTP" and ("UsePOPAuth", "off") not in proto:
            p.append("SMTP without UsePOPAuth off")
    if not {"IMAP", "POP3"} & set(types):
        p.append("no incoming server")
    if "SMTP" not in types:
        p.append("no SMTP server")
    return p


def thunderbird_from_outlook(body):
    """The servers Thunderbird's Exchange probe builds from the answer:
    (type, hostname, port, socketType, username); SSL must be on/off.
    It ignores Encryption: with SSL on, 143 and 587 are STARTTLS and any
    other port implicit TLS. Without LoginName the username is None (it
    logs in with the address typed); an empty one reads as "true"."""
    out = []
    for proto in parse_outlook(body)["protocols"]:
        f = dict(proto)
        if f.get("SSL") not in ("on", "off"):
            raise AssertionError("SSL %r: Thunderbird reads it as off" % f.get("SSL"))
        if f["SSL"] == "off" or f.get("Encryption") == "None":
            sock = "plain"
        elif int(f["Port"]) in (143, 587):
            sock = "STARTTLS"
        else:
            sock = "SSL"
        login = f.get("LoginName")
        if "LoginName" in f and not login:
            login = "true"
        out.append((f["Type"].lower(), f["Server"], int(f["Port"]), sock, login))
    return out


def exchangelib_read(bodies):
    """Each answer as exchangelib reads it (Autodiscover.from_bytes, the
    parser of its discovery code): Debian's python3-exchangelib under
    /usr/bin/python3, whatever runs the tests. A list of dicts."""
    py = "/usr/bin/python3"
    if not os.access(py, os.X_OK):
        raise AssertionError("/usr/bin/python3 is missing (Debian package "
                             "python3-exchangelib; scripts/install-deps --test)")
    r = subprocess.run([py, os.path.join(HERE, "exchangelib_read.py")],
                       input=json.dumps([b.decode("utf-8") for b in bodies]).encode(),
                       capture_output=True, timeout=60)
    if r.returncode != 0:
        if b"No module named 'exchangelib'" in r.stderr:
            raise AssertionError("exchangelib is not installed (Debian package "
                                 "python3-exchangelib; scripts/install-deps --test)")
        raise AssertionError("exchangelib could not read the answers:\n" +
                             r.stderr.decode("utf-8", "replace"))
    return json.loads(r.stdout)


def parse_ad_error(body):
    """An Autodiscover error document: (ErrorCode, Message, Time, Id)."""
    root = ET.fromstring(body)
    assert root.tag == _q(AD_NS, "Autodiscover"), root.tag
    resp = root.find(_q(AD_NS, "Response"))
    assert resp is not None, "error Response not in the base namespace"
    err = resp.find(_q(AD_NS, "Error"))
    assert err is not None
    assert [c.tag for c in err] == [_q(AD_NS, t) for t in
                                    ("ErrorCode", "Message", "DebugData")]
    return (err.findtext(_q(AD_NS, "ErrorCode")), err.findtext(_q(AD_NS, "Message")),
            err.get("Time"), err.get("Id"))


# ---- Apple configuration profiles (PROTOCOLS.md section 3) ------------------

# The mail payload keys Apple documents (com.apple.mail.managed) that a
# profile without passwords can carry: type, required, allowed values.
APPLE_AUTH = {"EmailAuthNone", "EmailAuthPassword", "EmailAuthCRAMMD5",
              "EmailAuthNTLM", "EmailAuthHTTPMD5"}
APPLE_MAIL_KEYS = {
    "EmailAccountDescription": (str, False, None),
    "EmailAccountName": (str, False, None),
    "EmailAccountType": (str, True, {"EmailTypeIMAP", "EmailTypePOP"}),
    "EmailAddress": (str, False, None),
    "IncomingMailServerAuthentication": (str, True, APPLE_AUTH),
    "IncomingMailServerHostName": (str, True, None),
    "IncomingMailServerPortNumber": (int, False, None),
    "IncomingMailServerUseSSL": (bool, False, None),
    "IncomingMailServerUsername": (str, False, None),
    "OutgoingPasswordSameAsIncomingPassword": (bool, False, None),
    "OutgoingMailServerAuthentication": (str, True, APPLE_AUTH),
    "OutgoingMailServerHostName": (str, True, None),
    "OutgoingMailServerPortNumber": (int, False, None),
    "OutgoingMailServerUseSSL": (bool, False, None),
    "OutgoingMailServerUsername": (str, False, None),
}
# Every payload's own keys.
APPLE_PAYLOAD_KEYS = {
    "PayloadType": (str, True, None), "PayloadVersion": (int, True, {1}),
    "PayloadIdentifier": (str, True, None), "PayloadUUID": (str, True, None),
    "PayloadDisplayName": (str, False, None),
    "PayloadDescription": (str, False, None),
    "PayloadOrganization": (str, False, None),
}


def apple_mail_problems(payload):
    """Why a device would refuse a com.apple.mail.managed payload: keys
    Apple does not document, wrong types, missing required keys, values
    out of range, ports out of range."""
    p = []
    known = dict(APPLE_MAIL_KEYS, **APPLE_PAYLOAD_KEYS)
    for k, v in payload.items():
        if k not in known:
            p.append("undocumented key %s" % k)
            continue
        typ, _, values = known[k]
        if type(v) is not typ:
            p.append("%s is %s, not %s" % (k, type(v).__name__, typ.__name__))
        elif values is not None and v not in values:
            p.append("%s %r" % (k, v))
    for k, (_, required, _) in known.items():
        if required and k not in payload:
            p.append("missing %s" % k)
    for k in ("IncomingMailServerPortNumber", "OutgoingMailServerPortNumber"):
        if k in payload and not 1 <= payload[k] <= 65535:
            p.append("%s %r" % (k, payload[k]))
    if payload.get("PayloadType") != "com.apple.mail.managed":
        p.append("PayloadType %r" % payload.get("PayloadType"))
    return p
