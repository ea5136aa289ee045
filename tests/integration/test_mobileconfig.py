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
from clients import apple_mail_problems

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


def srv(protocol, port, security="ssl", **extra):
    s = {"protocol": protocol, "host": "%s%d.example.com" % (protocol, port),
         "port": port, "security": security}
    s.update(extra)
    return s


class AppleMapping(unittest.TestCase):
    """docs/clients.md's table, one mapping per test: the config field, the
    com.apple.mail.managed key Apple documents, read back with plistlib."""

    def profile(self, servers, addr="ann.lee@example.com", **extra):
        cfg = {"providers": [provider("example.com", servers=servers, **extra)]}
        with Daemon(cfg) as d:
            st, _, body = d.get(path(addr))
        self.assertEqual(st, 200, body)
        prof = plistlib.loads(body)
        self.assertEqual(apple_mail_problems(prof["PayloadContent"][0]), [])
        return prof

    def mail(self, servers, **kw):
        return self.profile(servers, **kw)["PayloadContent"][0]

    def test_security_becomes_use_ssl(self):
        # Implicit TLS and STARTTLS alike; the port tells them apart.
        for sec, port in (("ssl", 993), ("starttls", 143)):
            with self.subTest(security=sec):
                m = self.mail([srv("imap", port, sec), srv("smtp", 587, "starttls")])
                self.assertEqual((m["IncomingMailServerUseSSL"],
                                  m["IncomingMailServerPortNumber"]), (True, port))
                self.assertIs(m["OutgoingMailServerUseSSL"], True)
        # A plain server is never the profile's: the next one is.
        m = self.mail([srv("imap", 143, "plain"), srv("imap", 993),
                       srv("smtp", 25, "plain"), srv("smtp", 465)])
        self.assertEqual((m["IncomingMailServerPortNumber"],
                          m["OutgoingMailServerPortNumber"]), (993, 465))

    def test_host_and_port(self):
        m = self.mail([srv("imap", 10993), srv("smtp", 10465)])
        self.assertEqual((m["IncomingMailServerHostName"], m["IncomingMailServerPortNumber"],
                          m["OutgoingMailServerHostName"], m["OutgoingMailServerPortNumber"]),
                         ("imap10993.example.com", 10993, "smtp10465.example.com", 10465))

    def test_imap_first_pop3_only_without_imap(self):
        m = self.mail([srv("pop3", 995), srv("imap", 993), srv("smtp", 465)])
        self.assertEqual((m["EmailAccountType"], m["IncomingMailServerPortNumber"]),
                         ("EmailTypeIMAP", 993))
        m = self.mail([srv("pop3", 995, leave_messages_on_server=True), srv("smtp", 465)],
                      accept_warnings=["no-imap"])
        self.assertEqual((m["EmailAccountType"], m["IncomingMailServerPortNumber"]),
                         ("EmailTypePOP", 995))
        # Apple has no key to keep POP3 messages on the server.
        self.assertFalse([k for k in m if "Leave" in k or "Delete" in k])

    def test_authentication(self):
        for auth, apple in (("password-cleartext", "EmailAuthPassword"),
                            ("password-encrypted", "EmailAuthCRAMMD5"),
                            ("NTLM", "EmailAuthNTLM"),
                            ("client-IP-address", "EmailAuthNone"),
                            ("none", "EmailAuthNone"),
                            ("smtp-after-pop", "EmailAuthNone")):
            with self.subTest(auth=auth):
                # POP3 may list any method; SMTP needs a password method
                # too (Thunderbird for Android), listed after it.
                m = self.mail([srv("pop3", 995, auth=[auth]),
                               srv("smtp", 465, auth=list(dict.fromkeys(
                                   [auth, "password-cleartext"])))],
                              accept_warnings=["no-imap"])
                self.assertEqual((m["IncomingMailServerAuthentication"],
                                  m["OutgoingMailServerAuthentication"]), (apple, apple))
        # Methods Apple has no value for are passed over for the next.
        m = self.mail([srv("imap", 993, auth=["OAuth2", "password-encrypted"]),
                       srv("smtp", 465, auth=["GSSAPI", "TLS-client-cert",
                                              "password-cleartext"])])
        self.assertEqual((m["IncomingMailServerAuthentication"],
                          m["OutgoingMailServerAuthentication"]),
                         ("EmailAuthCRAMMD5", "EmailAuthPassword"))
        # A server without any is not the profile's.
        m = self.mail([srv("pop3", 995, auth=["GSSAPI"]), srv("pop3", 1995),
                       srv("smtp", 465)], accept_warnings=["no-imap"])
        self.assertEqual(m["IncomingMailServerPortNumber"], 1995)

    def test_username(self):
        for tmpl, want in (("%EMAILADDRESS%", "ann.lee@example.com"),
                           ("%EMAILLOCALPART%", "ann.lee"),
                           ("mail-%EMAILDOMAIN%\\%EMAILLOCALPART%", "mail-example.com\\ann.lee")):
            with self.subTest(username=tmpl):
                m = self.mail([srv("imap", 993, username=tmpl),
                               srv("smtp", 465, username=tmpl)])
                self.assertEqual((m["IncomingMailServerUsername"],
                                  m["OutgoingMailServerUsername"]), (want, want))
        # Only the user knows %REALNAME%: no key, the device asks.
        m = self.mail([srv("imap", 993, username="%REALNAME%"), srv("smtp", 465)],
                      accept_warnings=["realname-username"])
        self.assertNotIn("IncomingMailServerUsername", m)
        self.assertEqual(m["OutgoingMailServerUsername"], "ann.lee@example.com")

    def test_account_fields(self):
        prof = self.profile([srv("imap", 993), srv("smtp", 465)], name="Example Mail",
                            short_name="ExMail")
        m = prof["PayloadContent"][0]
        self.assertEqual((m["EmailAccountDescription"], m["EmailAddress"],
                          m["PayloadDisplayName"], prof["PayloadOrganization"]),
                         ("Example Mail", "ann.lee@example.com", "ExMail mail", "Example Mail"))
        # The person's name is not known; no password is ever sent.
        self.assertNotIn("EmailAccountName", m)
        self.assertFalse([k for k in m if k in ("IncomingPassword", "OutgoingPassword")])
        self.assertIs(m["OutgoingPasswordSameAsIncomingPassword"], True)
        prof = self.profile([srv("imap", 993), srv("smtp", 465)],
                            mobileconfig={"identifier": "org.example.mail",
                                          "organization": "Example Org"})
        self.assertEqual(prof["PayloadOrganization"], "Example Org")
        self.assertTrue(prof["PayloadIdentifier"].startswith("org.example.mail."))

    def test_caldav_and_carddav(self):
        prof = self.profile([srv("imap", 993, username="%EMAILLOCALPART%"), srv("smtp", 465)],
                            caldav="https://dav.example.com/cal/", short_name="Ex",
                            carddav="http://dav.example.com:8008/card/")
        mail, cal, card = prof["PayloadContent"]
        self.assertEqual(cal, {
            "CalDAVAccountDescription": "Ex calendar", "CalDAVHostName": "dav.example.com",
            "CalDAVPort": 443, "CalDAVPrincipalURL": "https://dav.example.com/cal/",
            "CalDAVUseSSL": True, "CalDAVUsername": "ann.lee",
            "PayloadDisplayName": "Ex calendar", "PayloadIdentifier": cal["PayloadIdentifier"],
            "PayloadType": "com.apple.caldav.account", "PayloadUUID": cal["PayloadUUID"],
            "PayloadVersion": 1})
        self.assertEqual((card["CardDAVHostName"], card["CardDAVPort"], card["CardDAVUseSSL"],
                          card["CardDAVPrincipalURL"], card["CardDAVUsername"],
                          card["PayloadType"]),
                         ("dav.example.com", 8008, False, "http://dav.example.com:8008/card/",
                          "ann.lee", "com.apple.carddav.account"))

    def test_what_a_profile_cannot_carry(self):
        # Exchange, JMAP, ActiveSync and ManageSieve have no mail payload
        # keys: the profile is the IMAP account alone.
        prof = self.profile([srv("imap", 993), srv("smtp", 465),
                             {"protocol": "managesieve", "host": "sieve.example.com"}],
                            ews="https://ex.example.com/EWS/Exchange.asmx",
                            jmap="https://jmap.example.com/", webdav="https://dav.example.com/",
                            activesync="https://ex.example.com/Microsoft-Server-ActiveSync")
        self.assertEqual([p["PayloadType"] for p in prof["PayloadContent"]],
                         ["com.apple.mail.managed"])
        self.assertNotIn(b"sieve", plistlib.dumps(prof))
        self.assertNotIn(b"ex.example.com", plistlib.dumps(prof))


if __name__ == "__main__":
    harness.main()
