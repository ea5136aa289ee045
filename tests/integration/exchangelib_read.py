"""Reads Autodiscover POX answers with exchangelib's own parser, as its
discovery code does after a POST. Run by Debian's /usr/bin/python3 (its
python3-exchangelib), not by the interpreter of the tests: clients.py
starts it. Input on stdin: a JSON array of answers (text); output on
stdout: a JSON array, one object per answer, of what exchangelib read."""
import json
import sys

from exchangelib.autodiscover.properties import Autodiscover


def read(text):
    ad = Autodiscover.from_bytes(text.encode("utf-8"))
    if ad.response is None:
        err = ad.error_response.error
        try:
            ad.raise_errors()
            raised = None
        except Exception as e:  # noqa: BLE001 - the class is the answer
            raised = type(e).__name__
        return {"error": {"code": err.code, "message": err.message,
                          "raised": raised}}
    r = ad.response
    user = r.user
    return {
        "user": None if user is None else {
            "display_name": user.display_name,
            "autodiscover_smtp_address": user.autodiscover_smtp_address},
        "autodiscover_smtp_address": r.autodiscover_smtp_address,
        "account_type": r.account.type,
        "action": r.account.action,
        "protocols": [{
            "type": p.type, "server": p.server, "port": p.port, "ssl": p.ssl,
            "login_name": p.login_name, "spa": p.spa,
            "auth_required": p.auth_required,
            "domain_required": p.domain_required,
        } for p in r.account.protocols],
    }


def main():
    answers = json.load(sys.stdin)
    json.dump([read(a) for a in answers], sys.stdout)


if __name__ == "__main__":
    main()
