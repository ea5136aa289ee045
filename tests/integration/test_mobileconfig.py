#!/usr/bin/env python3
"""Apple configuration profiles served by the real daemon, read back with
plistlib: the keys and types Apple documents, the address filled in, the
same bytes every time."""
import json
import os
import plistlib
import re
import unittest
import urllib.parse
import uuid

import harness
from harness import Daemon, provider

UUID_RE = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-5[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$")
MAIL_TYPES = {
    "EmailAccountDescription": str, "EmailAccountType": str, "EmailAddress": str,
    "IncomingMailServerAuthentication": str, "IncomingMailServerHostName": str,
    "IncomingMailServerPortNumber": int, "IncomingMailServerUseSSL": bool,
    "IncomingMailServerUsername": str,
    "OutgoingMailServerAuthentication": str, "OutgoingMailServerHostName": str,
    "OutgoingMailServerPortNumber": int, "OutgoingMailServerUseSSL": bool,
    "OutgoingMailServerUsername": str, "OutgoingPasswordSameAsIncomingPassword": bool,
    "PayloadDisplayName": str, "PayloadIdentifier": str, "PayloadType": str,
    "PayloadUUID": str, "PayloadVersion": int,
}
TOP_TYPES = {
    "PayloadContent": list, "PayloadDescription": str, "PayloadDisplayName": str,
    "PayloadIdentifier": str, "PayloadOrganization": str, "PayloadRemovalDisallowed": bool,
    "PayloadType": str, "PayloadUUID": str, "PayloadVersion": int,
}


def example(name):
    with open(os.path.join(harness.TOP, "conf", "examples", name)) as f:
        return json.load(f)


def path(addr, base="/email.mobileconfig"):
    return base + "?emailaddress=" + urllib.parse.quote(addr, safe="@")


def assert_types(test, d, types):
    test.assertEqual(set(d), set(types), "keys")
    for k, t in types.items():
        test.assertIs(type(d[k]), t, k)


class Profile(unittest.TestCase):
    def get_profile(self, d, addr, base="/email.mobileconfig"):
        st, h, body = d.get(path(addr, base))
        self.assertEqual(st, 200, body)
        self.assertEqual(h["content-type"], "application/x-apple-aspen-config")
        self.assertEqual(h["content-disposition"], 'attachment; filename="%s.mobileconfig"'
                         % addr.rsplit("@", 1)[1].lower())
        self.assertTrue(body.startswith(
            b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC '
            b'"-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n'
            b'<plist version="1.0">\n'))
        self.assertNotIn(b"Password</key>\n        <string", body)
        prof = plistlib.loads(body)
        assert_types(self, prof, TOP_TYPES)
        self.assertEqual(prof["PayloadType"], "Configuration")
        self.assertEqual(prof["PayloadVersion"], 1)
        self.assertRegex(prof["PayloadUUID"], UUID_RE)
        return prof, body

    def test_many_ports_example(self):
        with Daemon(example("many-ports.json")) as d:
            prof, body = self.get_profile(d, "bob@bigmail.example")
            self.assertEqual(len(prof["PayloadContent"]), 1)
            mail = prof["PayloadContent"][0]
            assert_types(self, mail, MAIL_TYPES)
            uid = prof["PayloadUUID"]
            self.assertEqual(mail, {
                "EmailAccountDescription": "BigMail", "EmailAccountType": "EmailTypeIMAP",
                "EmailAddress": "bob@bigmail.example",
                "IncomingMailServerAuthentication": "EmailAuthPassword",
                "IncomingMailServerHostName": "imap.bigmail.example",
                "IncomingMailServerPortNumber": 993, "IncomingMailServerUseSSL": True,
                "IncomingMailServerUsername": "bob@bigmail.example",
                "OutgoingMailServerAuthentication": "EmailAuthPassword",
                "OutgoingMailServerHostName": "smtp.bigmail.example",
                "OutgoingMailServerPortNumber": 587, "OutgoingMailServerUseSSL": True,
                "OutgoingMailServerUsername": "bob@bigmail.example",
                "OutgoingPasswordSameAsIncomingPassword": True,
                "PayloadDisplayName": "BigMail mail",
                "PayloadIdentifier": "example.bigmail.%s.mail" % uid,
                "PayloadType": "com.apple.mail.managed",
                "PayloadUUID": mail["PayloadUUID"], "PayloadVersion": 1})
            self.assertRegex(mail["PayloadUUID"], UUID_RE)
            self.assertNotEqual(mail["PayloadUUID"], uid)
            self.assertEqual(prof["PayloadIdentifier"], "example.bigmail." + uid)
            self.assertEqual(prof["PayloadOrganization"], "BigMail")
            self.assertIs(prof["PayloadRemovalDisallowed"], False)
            # The alias path, a second request: the very same bytes.
            _, again = self.get_profile(d, "bob@bigmail.example", "/mobileconfig")
            self.assertEqual(body, again)
            # Another address: other UUIDs, same shape.
            other, _ = self.get_profile(d, "eve@bigmail.example.net")
            self.assertNotEqual(other["PayloadUUID"], uid)
            self.assertNotEqual(other["PayloadContent"][0]["PayloadUUID"], mail["PayloadUUID"])
            self.assertEqual(other["PayloadContent"][0]["EmailAddress"], "eve@bigmail.example.net")
        # A restart changes nothing: installing again replaces the account.
        with Daemon(example("many-ports.json")) as d:
            _, after = self.get_profile(d, "bob@bigmail.example")
        self.assertEqual(body, after)

    def test_pop3_only_usernames_and_dav(self):
        cfg = {"providers": [provider("example.com", name='Ex <&"\'>', short_name="Ex&",
            servers=[
                {"protocol": "pop3", "host": "pop.example.com", "port": 995, "security": "ssl",
                 "username": "%EMAILLOCALPART%"},
                {"protocol": "smtp", "host": "smtp.example.com", "port": 25, "security": "plain"},
                {"protocol": "smtp", "host": "smtp.example.com", "port": 465, "security": "ssl",
                 "auth": ["OAuth2", "password-encrypted"], "username": "%REALNAME%"},
            ],
            caldav="https://dav.example.com:8443/cal/", carddav="http://dav.example.com/card/",
            mobileconfig={"identifier": "org.example.mail", "organization": "Example Org"})]}
        with Daemon(cfg) as d:
            addr = "o'ne&two{}@Example.COM"
            prof, _ = self.get_profile(d, addr)
            mail, cal, card = prof["PayloadContent"]
            self.assertEqual(mail["EmailAccountType"], "EmailTypePOP")
            self.assertEqual(mail["EmailAddress"], "o'ne&two{}@example.com")
            self.assertEqual(mail["EmailAccountDescription"], 'Ex <&"\'>')
            self.assertEqual(mail["IncomingMailServerUsername"], "o'ne&two{}")
            self.assertEqual(mail["OutgoingMailServerHostName"], "smtp.example.com")
            self.assertEqual(mail["OutgoingMailServerAuthentication"], "EmailAuthCRAMMD5")
            self.assertNotIn("OutgoingMailServerUsername", mail)   # %REALNAME% is unknown
            self.assertEqual(prof["PayloadOrganization"], "Example Org")
            uid = prof["PayloadUUID"]
            self.assertEqual(prof["PayloadIdentifier"], "org.example.mail." + uid)
            self.assertEqual(prof["PayloadDisplayName"], 'Ex <&"\'> (o\'ne&two{}@example.com)')
            self.assertEqual(cal, {
                "CalDAVAccountDescription": "Ex& calendar", "CalDAVHostName": "dav.example.com",
                "CalDAVPort": 8443, "CalDAVPrincipalURL": "https://dav.example.com:8443/cal/",
                "CalDAVUseSSL": True, "CalDAVUsername": "o'ne&two{}",
                "PayloadDisplayName": "Ex& calendar",
                "PayloadIdentifier": "org.example.mail.%s.caldav" % uid,
                "PayloadType": "com.apple.caldav.account", "PayloadUUID": cal["PayloadUUID"],
                "PayloadVersion": 1})
            self.assertEqual((card["CardDAVPort"], card["CardDAVUseSSL"], card["PayloadType"]),
                             (80, False, "com.apple.carddav.account"))
            uuids = {prof["PayloadUUID"]} | {p["PayloadUUID"] for p in prof["PayloadContent"]}
            self.assertEqual(len(uuids), 4)
            for u in uuids:
                self.assertEqual(uuid.UUID(u).version, 5)

    def test_errors(self):
        cfg = {"providers": [provider("example.com"),
                             provider("plain.example", servers=[
                                 {"protocol": "imap", "host": "imap.plain.example", "port": 143,
                                  "security": "plain"},
                                 {"protocol": "smtp", "host": "smtp.plain.example", "port": 465,
                                  "security": "ssl"}])]}
        with Daemon(cfg) as d:
            for p, host, status, why in (
                    ("/email.mobileconfig", None, 400, b"the profile needs ?emailaddress="),
                    ("/email.mobileconfig?emailaddress=", "example.com", 400, b"needs"),
                    ("/mobileconfig", "autoconfig.example.com", 400, b"needs"),
                    (path("a<b>@example.com"), None, 400, b"invalid character"),
                    (path('"q"@example.com'), None, 400, b"invalid character"),
                    (path("a@unknown.example"), None, 404,
                     b"no provider serves the domain unknown.example"),
                    (path("a@plain.example"), None, 404, b"no encrypted incoming and outgoing")):
                with self.subTest(path=p):
                    st, h, body = d.get(p, host=host)
                    self.assertEqual(st, status)
                    self.assertTrue(h["content-type"].startswith("text/plain"))
                    self.assertIn(why, body)
                    self.assertNotIn("content-disposition", h)
            st, h, _ = d.request("POST", path("a@example.com"), body=b"")
            self.assertEqual((st, h["allow"]), (405, "GET, HEAD"))
            self.assertTrue(d.alive())


if __name__ == "__main__":
    harness.main()
