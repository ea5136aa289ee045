"""Acceptance checks that mirror what real mail clients enforce on a
config-v1.1 document (see PROTOCOLS.md section 1). A test that passes a
document through these is asserting "Thunderbird / Thunderbird for Android
would take this", not merely "this is XML"."""
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
        "domains": [d.text for d in prov.findall("domain")],
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
        if el.tag in TEXT_ELEMENTS and el.attrib:
            p.append("attribute on <%s>" % el.tag)
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
