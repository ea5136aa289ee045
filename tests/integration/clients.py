"""Acceptance checks that mirror what real mail clients enforce on a
config-v1.1 document (PROTOCOLS.md section 1) and on an Autodiscover answer
(section 2). A test that passes a document through these is asserting
"Thunderbird / Thunderbird for Android / Outlook would take this", not
merely "this is XML"."""
import re
import xml.etree.ElementTree as ET

K9_AUTH = {"OAuth2", "password-cleartext", "password-encrypted"}
TEXT_ELEMENTS = {"domain", "displayName", "displayShortName", "hostname",
                 "port", "socketType", "username", "authentication", "url"}


def parse_autoconfig(body):
    """Parses the document into a dict, asserting its basic shape."""
    assert not body.startswith(b"\xef\xbb\xbf"), "BOM"
    root = ET.fromstring(body)
    assert root.tag == "clientConfig", root.tag
    assert root.get("version") == "1.1"
    prov = root.find("emailProvider")
    assert prov is not None
    servers = []
    for el in prov:
        if el.tag in ("incomingServer", "outgoingServer"):
            servers.append({
                "kind": el.tag,
                "type": el.get("type"),
                "hostname": el.findtext("hostname"),
                "port": int(el.findtext("port")),
                "socketType": el.findtext("socketType"),
                "username": el.findtext("username"),
                "auth": [a.text for a in el.findall("authentication")],
                "leave": el.findtext("pop3/leaveMessagesOnServer"),
            })
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
        "documentation": doc.get("url") if doc is not None else None,
        "webmail": web.get("url") if web is not None else None,
        "root": root,
    }


def thunderbird_problems(content_type, body):
    """Why Thunderbird desktop would reject the answer ([] if it would not)."""
    p = []
    if not (content_type.startswith("text/xml") or
            content_type.startswith("application/xml")):
        p.append("content type %r" % content_type)
    doc = parse_autoconfig(body)
    if not doc["id"] or "%" in doc["id"]:
        p.append("emailProvider id %r" % doc["id"])
    if not doc["displayName"]:
        p.append("no displayName")
    if len(doc["displayName"] or "") > 60:
        p.append("displayName over 60 characters")
    for el in doc["root"].iter():
        # A <domain> with an attribute (draft-06's purpose="mx") is
        # skipped on its own; the file needs one plain <domain> left.
        if el.tag in TEXT_ELEMENTS and el.attrib and el.tag != "domain":
            p.append("attribute on <%s>" % el.tag)
    if not doc["domains"]:
        p.append("no <domain> without attributes")
    if not any(s["kind"] == "incomingServer" for s in doc["servers"]):
        p.append("no incoming server")
    if not any(s["kind"] == "outgoingServer" for s in doc["servers"]):
        p.append("no outgoing server")
    for s in doc["servers"]:
        if not s["username"]:
            p.append("server without username")
        if s["auth"] and set(s["auth"]) <= {"OAuth2"}:
            p.append("OAuth2 without a password method")
    return p


def k9_problems(body):
    """Why Thunderbird for Android / K-9 would reject the WHOLE file."""
    p = []
    doc = parse_autoconfig(body)
    for s in doc["servers"]:
        if s["type"] not in ("imap", "smtp"):
            continue
        if not s["hostname"] or not s["port"] or not s["username"]:
            p.append("%s server missing hostname/port/username" % s["type"])
        if not K9_AUTH & set(s["auth"]):
            p.append("%s server without a usable auth method" % s["type"])
        if s["socketType"] not in ("SSL", "STARTTLS"):
            p.append("%s server with socketType %r" % (s["type"], s["socketType"]))
    return p


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
    return {
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
        if not f.get("LoginName") or "%" in f["LoginName"]:
            p.append("LoginName %r" % f.get("LoginName"))
        if f.get("Type") == "SMTP" and ("UsePOPAuth", "off") not in proto:
            p.append("SMTP without UsePOPAuth off")
    if not {"IMAP", "POP3"} & set(types):
        p.append("no incoming server")
    if "SMTP" not in types:
        p.append("no SMTP server")
    return p


def thunderbird_from_outlook(body):
    """The servers Thunderbird's Exchange probe builds from the answer:
    (type, hostname, port, socketType, username); SSL must be on/off."""
    out = []
    for proto in parse_outlook(body)["protocols"]:
        f = dict(proto)
        if f.get("SSL") not in ("on", "off"):
            raise AssertionError("SSL %r: Thunderbird reads it as off" % f.get("SSL"))
        if f["SSL"] == "off":
            sock = "plain"
        elif f.get("Encryption") == "TLS":
            sock = "STARTTLS"
        else:
            sock = "SSL"
        out.append((f["Type"].lower(), f["Server"], int(f["Port"]), sock,
                    f["LoginName"]))
    return out


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
