"""Records golden HTTP transcripts from the real djoser and Simple JWT, and prints them as JSON.

Run by make-transcripts.sh (which writes test/fixtures/django-clients/transcripts.json). The
project is clientsproject/ (djoser's and Simple JWT's defaults, the settings in its docstring);
the database is an in-memory SQLite one, the requests go through Django's test client (host
"testserver"), in order, and state carries over from one exchange to the next.

TRANSCRIPT FORMAT
-----------------
{
  "madeBy": "scripts/django-clients/make-transcripts.sh",
  "versions": {"django", "djangorestframework", "djoser", "simplejwt", "pyjwt"},
  "host": "testserver",                    the Host the requests were made with (it is in the mails)
  "jwt": {"header", "access": {...}, "refresh": {...}}   Simple JWT's token header, claim names,
      token_type values and lifetimes, read from the first pair /api/token/ issued
  "users": [{"username", "email", "password", "isActive", "uidVar", "uid"}],
      created before the first exchange. uidVar names the variable a replay must set to that
      user's djoser uid on the face under test (djoser: urlsafe_base64_encode(str(pk)), no padding;
      "uid" shows the recorded value).
  "exchanges": [{
      "package": "djoser" | "simplejwt",
      "name": "short description",
      "request": {
          "method": "POST",
          "path": "/auth/token/login/",
          "headers": {"Authorization": "Token {{aliceToken}}"},          (only those sent)
          "contentType": "application/json" | "application/x-www-form-urlencoded" | null,
          "body": {...} | [...] | null,    JSON-encoded (json.dumps) or form-encoded (urlencode)
          "rawBody": "..."                 only when the body is sent as these exact characters
      },
      "response": {
          "status": 200,
          "headers": {"content-type", "www-authenticate", "allow"},       (only those present)
          "body": <the parsed JSON> | null (empty body)
      },                                   (DRF sends Allow on every response, errors included;
                                            its empty 204s and 400s have no content-type)
      "captures": {"aliceToken": "auth_token"},      variable -> dot-separated path in the body
      "mail": [{"from", "to": [...], "subject", "body", "html", "uidVar", "tokenVar"}]  (when sent)
  }]
}

Placeholders. In requests, "{{name}}" (anywhere in a header or a body string) stands for a
variable's value. In response bodies, values that vary between runs are replaced:
  - "{{name}}" at a path listed in "captures": the value there is captured into `name`;
  - "{{name}}" elsewhere: the value equals the one captured earlier into `name`
    (e.g. logging in twice gives the same DRF token);
  - "<jwt>": some JSON web token; "<token>": some 40-hex DRF token key; "<int>": some integer id.
A mail's uid and token (from the link in it, PASSWORD_RESET_CONFIRM_URL
"password/reset/confirm/{uid}/{token}") are set into uidVar and tokenVar, and appear in the
recorded subject/body/html as "{{uidVar}}" / "{{tokenVar}}"; the site name and domain there are
the request's host ("testserver"), as django.contrib.sites is not installed.
"""
import json
import os
import re
import sys
from urllib.parse import urlencode

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
try:
    import templated_mail  # noqa: F401  (djoser's mail helper; Debian 12 lacks the package)
except ImportError:
    sys.path.append(os.path.join(here, "shims"))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientsproject.settings")
import django  # noqa: E402

django.setup()

import importlib.metadata as metadata  # noqa: E402

import jwt  # noqa: E402
import rest_framework  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core import mail  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from djoser.utils import encode_uid  # noqa: E402

PASSWORD = "correct horse battery staple 42"
NEW_PASSWORD = "correct horse battery staple 43"
BOB_PASSWORD = "bob's sturdy passphrase 7"
USERS = [
    ("alice", "alice@example.com", PASSWORD, True, "aliceUid"),
    ("ivan", "ivan@example.com", PASSWORD, False, "ivanUid"),
]
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
GARBAGE_JWT = "not.a.jwt"
# An access token that expired on 2000-01-01, signed with this project's SECRET_KEY: fixed, so
# the transcript is the same on every run (a face under test rejects it for its signature anyway).
EXPIRED_ACCESS = jwt.encode(
    {"token_type": "access", "exp": 946684800, "iat": 946684500, "jti": "0" * 32, "user_id": 1},
    settings.SECRET_KEY,
    algorithm="HS256",
)


def ex(package, name, method, path, body=None, auth=None, ctype=JSON, captures=None, raw=None):
    return {
        "package": package, "name": name, "method": method, "path": path, "body": body,
        "auth": auth, "ctype": ctype, "captures": captures or {}, "raw": raw,
    }


def D(*args, **kwargs):
    return ex("djoser", *args, **kwargs)


def S(*args, **kwargs):
    return ex("simplejwt", *args, **kwargs)


ALICE = "Token {{aliceToken}}"
LOGIN = "/auth/token/login/"
ME = "/auth/users/me/"

EXCHANGES = [
    # --- djoser: token login -------------------------------------------------------------
    D("token login, JSON", "POST", LOGIN, {"username": "alice", "password": PASSWORD},
      captures={"aliceToken": "auth_token"}),
    D("token login again, form-encoded: the same token", "POST", LOGIN,
      {"username": "alice", "password": PASSWORD}, ctype=FORM),
    D("token login without the trailing slash", "POST", "/auth/token/login",
      {"username": "alice", "password": PASSWORD}),
    D("token login, wrong password", "POST", LOGIN, {"username": "alice", "password": "wrong"}),
    D("token login, unknown user", "POST", LOGIN, {"username": "nobody", "password": PASSWORD}),
    D("token login, inactive user", "POST", LOGIN, {"username": "ivan", "password": PASSWORD}),
    D("token login, missing fields", "POST", LOGIN, {}),
    D("token login, missing password", "POST", LOGIN, {"username": "alice"}),
    D("token login, blank fields", "POST", LOGIN, {"username": "", "password": ""}),
    D("token login, body a JSON list", "POST", LOGIN, ["alice", PASSWORD]),
    D("token login, malformed JSON", "POST", LOGIN, raw='{"username": "alice",'),
    D("token login, wrong method GET", "GET", LOGIN, ctype=None),
    # --- djoser: the current user --------------------------------------------------------
    D("me", "GET", ME, auth=ALICE, ctype=None),
    D("me without credentials", "GET", ME, ctype=None),
    D("me with an unknown token", "GET", ME, auth="Token abc", ctype=None),
    D("me with 'Token' and no key", "GET", ME, auth="Token", ctype=None),
    D("me with a token containing a space", "GET", ME, auth="Token abc def", ctype=None),
    D("me PATCH email", "PATCH", ME, {"email": "alice2@example.com"}, auth=ALICE),
    D("me PATCH email back", "PATCH", ME, {"email": "alice@example.com"}, auth=ALICE),
    D("me PATCH invalid email", "PATCH", ME, {"email": "not-an-email"}, auth=ALICE),
    D("me PUT (username is read-only: ignored)", "PUT", ME,
      {"email": "alice@example.com", "username": "alicia"}, auth=ALICE),
    D("me wrong method POST", "POST", ME, {}, auth=ALICE),
    D("users list as alice (only herself)", "GET", "/auth/users/", auth=ALICE, ctype=None),
    D("users list without credentials", "GET", "/auth/users/", ctype=None),
    D("user detail of another user (hidden: 404)", "GET", "/auth/users/2/", auth=ALICE, ctype=None),
    # --- djoser: registration ------------------------------------------------------------
    D("register", "POST", "/auth/users/",
      {"username": "bob", "email": "bob@example.com", "password": BOB_PASSWORD}),
    D("register, duplicate username", "POST", "/auth/users/",
      {"username": "bob", "email": "bob2@example.com", "password": BOB_PASSWORD}),
    D("register, weak password (short, common, numeric)", "POST", "/auth/users/",
      {"username": "carol", "email": "carol@example.com", "password": "1234"}),
    D("register, password too similar to the username", "POST", "/auth/users/",
      {"username": "carolinewilliams", "email": "carol@example.com", "password": "carolinewilliams"}),
    D("register, missing fields", "POST", "/auth/users/", {}),
    D("register, invalid email", "POST", "/auth/users/",
      {"username": "carol", "email": "not-an-email", "password": BOB_PASSWORD}),
    D("register, invalid username characters", "POST", "/auth/users/",
      {"username": "carol smith!", "email": "carol@example.com", "password": BOB_PASSWORD}),
    D("bob logs in", "POST", LOGIN, {"username": "bob", "password": BOB_PASSWORD},
      captures={"bobToken": "auth_token"}),
    D("bob deletes himself, wrong current_password", "DELETE", ME, {"current_password": "wrong"},
      auth="Token {{bobToken}}"),
    D("bob deletes himself", "DELETE", ME, {"current_password": BOB_PASSWORD},
      auth="Token {{bobToken}}"),
    D("bob's token after the deletion", "GET", ME, auth="Token {{bobToken}}", ctype=None),
    # --- djoser: set_password ------------------------------------------------------------
    D("set_password, wrong current_password", "POST", "/auth/users/set_password/",
      {"current_password": "wrong", "new_password": NEW_PASSWORD}, auth=ALICE),
    D("set_password, weak new_password", "POST", "/auth/users/set_password/",
      {"current_password": PASSWORD, "new_password": "alice"}, auth=ALICE),
    D("set_password, missing fields", "POST", "/auth/users/set_password/", {}, auth=ALICE),
    D("set_password without credentials", "POST", "/auth/users/set_password/",
      {"current_password": PASSWORD, "new_password": NEW_PASSWORD}),
    D("set_password", "POST", "/auth/users/set_password/",
      {"current_password": PASSWORD, "new_password": NEW_PASSWORD}, auth=ALICE),
    D("the token survives set_password", "GET", ME, auth=ALICE, ctype=None),
    D("token login with the old password", "POST", LOGIN, {"username": "alice", "password": PASSWORD}),
    D("token login with the new password", "POST", LOGIN, {"username": "alice", "password": NEW_PASSWORD}),
    # --- djoser: password reset (no login of alice from here to the confirmation: a login
    #     changes last_login, which invalidates Django's reset tokens) -----------------------
    D("reset_password, known email (mail sent)", "POST", "/auth/users/reset_password/",
      {"email": "alice@example.com"}),
    D("reset_password, unknown email (no mail)", "POST", "/auth/users/reset_password/",
      {"email": "nobody@example.com"}),
    D("reset_password, inactive user's email (no mail)", "POST", "/auth/users/reset_password/",
      {"email": "ivan@example.com"}),
    D("reset_password, invalid email", "POST", "/auth/users/reset_password/", {"email": "not-an-email"}),
    D("reset_password, missing email", "POST", "/auth/users/reset_password/", {}),
    # --- djoser: activation (SEND_ACTIVATION_EMAIL False) ---------------------------------
    D("resend_activation, inactive user", "POST", "/auth/users/resend_activation/",
      {"email": "ivan@example.com"}),
    D("resend_activation, active user", "POST", "/auth/users/resend_activation/",
      {"email": "alice@example.com"}),
    D("resend_activation, invalid email", "POST", "/auth/users/resend_activation/",
      {"email": "not-an-email"}),
    D("activation of an active user with a valid uid/token (the reset mail's)", "POST",
      "/auth/users/activation/", {"uid": "{{resetUid}}", "token": "{{resetToken}}"}),
    D("activation, bad uid", "POST", "/auth/users/activation/", {"uid": "xx", "token": "{{resetToken}}"}),
    D("activation of the inactive user, bad token", "POST", "/auth/users/activation/",
      {"uid": "{{ivanUid}}", "token": "bad-token"}),
    D("activation, missing fields", "POST", "/auth/users/activation/", {}),
    # --- djoser: reset_password_confirm ----------------------------------------------------
    D("reset_password_confirm, bad uid", "POST", "/auth/users/reset_password_confirm/",
      {"uid": "xx", "token": "{{resetToken}}", "new_password": PASSWORD}),
    D("reset_password_confirm, uid of no user", "POST", "/auth/users/reset_password_confirm/",
      {"uid": encode_uid(999), "token": "{{resetToken}}", "new_password": PASSWORD}),
    D("reset_password_confirm, bad token", "POST", "/auth/users/reset_password_confirm/",
      {"uid": "{{resetUid}}", "token": "bad-token", "new_password": PASSWORD}),
    D("reset_password_confirm, weak new_password", "POST", "/auth/users/reset_password_confirm/",
      {"uid": "{{resetUid}}", "token": "{{resetToken}}", "new_password": "12345678"}),
    D("reset_password_confirm, weak new_password and bad uid", "POST",
      "/auth/users/reset_password_confirm/", {"uid": "xx", "token": "bad-token", "new_password": "1"}),
    D("reset_password_confirm, missing fields", "POST", "/auth/users/reset_password_confirm/", {}),
    D("reset_password_confirm", "POST", "/auth/users/reset_password_confirm/",
      {"uid": "{{resetUid}}", "token": "{{resetToken}}", "new_password": PASSWORD}),
    D("reset_password_confirm, the same token again", "POST", "/auth/users/reset_password_confirm/",
      {"uid": "{{resetUid}}", "token": "{{resetToken}}", "new_password": PASSWORD}),
    D("token login with the reset password", "POST", LOGIN, {"username": "alice", "password": PASSWORD}),
    # --- djoser: token logout --------------------------------------------------------------
    D("token logout without credentials", "POST", "/auth/token/logout/", ctype=None),
    D("token logout with an unknown token", "POST", "/auth/token/logout/", auth="Token abc", ctype=None),
    D("token logout", "POST", "/auth/token/logout/", auth=ALICE, ctype=None),
    D("me with the logged-out token", "GET", ME, auth=ALICE, ctype=None),
    D("token logout with the logged-out token", "POST", "/auth/token/logout/", auth=ALICE, ctype=None),
    D("token login after logout: a new token", "POST", LOGIN, {"username": "alice", "password": PASSWORD},
      captures={"aliceToken2": "auth_token"}),
    # --- djoser: JWT routes (Simple JWT's views under /auth/jwt/) -------------------------------
    D("jwt create", "POST", "/auth/jwt/create/", {"username": "alice", "password": PASSWORD},
      captures={"djRefresh": "refresh", "djAccess": "access"}),
    D("jwt create, wrong password", "POST", "/auth/jwt/create/", {"username": "alice", "password": "wrong"}),
    D("jwt create, inactive user", "POST", "/auth/jwt/create/", {"username": "ivan", "password": PASSWORD}),
    D("jwt create, missing fields", "POST", "/auth/jwt/create/", {}),
    D("jwt create, form-encoded", "POST", "/auth/jwt/create/", {"username": "alice", "password": PASSWORD},
      ctype=FORM),
    D("jwt refresh (rotates)", "POST", "/auth/jwt/refresh/", {"refresh": "{{djRefresh}}"},
      captures={"djAccess2": "access", "djRefresh2": "refresh"}),
    D("jwt refresh, the rotated-out refresh again (blacklisted)", "POST", "/auth/jwt/refresh/",
      {"refresh": "{{djRefresh}}"}),
    D("jwt refresh, garbage", "POST", "/auth/jwt/refresh/", {"refresh": GARBAGE_JWT}),
    D("jwt refresh, an access token", "POST", "/auth/jwt/refresh/", {"refresh": "{{djAccess}}"}),
    D("jwt refresh, missing refresh", "POST", "/auth/jwt/refresh/", {}),
    D("jwt verify, access", "POST", "/auth/jwt/verify/", {"token": "{{djAccess2}}"}),
    D("jwt verify, garbage", "POST", "/auth/jwt/verify/", {"token": GARBAGE_JWT}),
    D("jwt verify, missing token", "POST", "/auth/jwt/verify/", {}),
    D("jwt create, wrong method GET", "GET", "/auth/jwt/create/", ctype=None),
    # --- simplejwt: /api/token/ ---------------------------------------------------------------
    S("obtain pair", "POST", "/api/token/", {"username": "alice", "password": PASSWORD},
      captures={"refresh1": "refresh", "access1": "access"}),
    S("obtain pair, wrong password", "POST", "/api/token/", {"username": "alice", "password": "wrong"}),
    S("obtain pair, unknown user", "POST", "/api/token/", {"username": "nobody", "password": PASSWORD}),
    S("obtain pair, inactive user", "POST", "/api/token/", {"username": "ivan", "password": PASSWORD}),
    S("obtain pair, missing fields", "POST", "/api/token/", {}),
    S("obtain pair, blank fields", "POST", "/api/token/", {"username": "", "password": ""}),
    S("obtain pair, body a JSON list", "POST", "/api/token/", ["alice", PASSWORD]),
    S("obtain pair, wrong method GET", "GET", "/api/token/", ctype=None),
    S("refresh (rotates)", "POST", "/api/token/refresh/", {"refresh": "{{refresh1}}"},
      captures={"access2": "access", "refresh2": "refresh"}),
    S("refresh, the rotated-out refresh again (blacklisted)", "POST", "/api/token/refresh/",
      {"refresh": "{{refresh1}}"}),
    S("refresh, garbage", "POST", "/api/token/refresh/", {"refresh": GARBAGE_JWT}),
    S("refresh, an access token", "POST", "/api/token/refresh/", {"refresh": "{{access2}}"}),
    S("refresh, missing refresh", "POST", "/api/token/refresh/", {}),
    S("refresh, blank refresh", "POST", "/api/token/refresh/", {"refresh": ""}),
    S("verify, access", "POST", "/api/token/verify/", {"token": "{{access2}}"}),
    S("verify, a live refresh", "POST", "/api/token/verify/", {"token": "{{refresh2}}"}),
    S("verify, a blacklisted refresh", "POST", "/api/token/verify/", {"token": "{{refresh1}}"}),
    S("verify, garbage", "POST", "/api/token/verify/", {"token": GARBAGE_JWT}),
    S("verify, expired access", "POST", "/api/token/verify/", {"token": EXPIRED_ACCESS}),
    S("verify, missing token", "POST", "/api/token/verify/", {}),
    S("Bearer access on djoser's me", "GET", ME, auth="Bearer {{access2}}", ctype=None),
    S("Bearer garbage on djoser's me", "GET", ME, auth="Bearer " + GARBAGE_JWT, ctype=None),
    S("Bearer expired access on djoser's me", "GET", ME, auth="Bearer " + EXPIRED_ACCESS, ctype=None),
    S("Bearer refresh on djoser's me (wrong type)", "GET", ME, auth="Bearer {{refresh2}}", ctype=None),
    S("Bearer with two values", "GET", ME, auth="Bearer {{access2}} extra", ctype=None),
    S("blacklist", "POST", "/api/token/blacklist/", {"refresh": "{{refresh2}}"}),
    S("blacklist, the same refresh again", "POST", "/api/token/blacklist/", {"refresh": "{{refresh2}}"}),
    S("refresh, a blacklisted refresh", "POST", "/api/token/refresh/", {"refresh": "{{refresh2}}"}),
    S("blacklist, garbage", "POST", "/api/token/blacklist/", {"refresh": GARBAGE_JWT}),
    S("blacklist, an access token", "POST", "/api/token/blacklist/", {"refresh": "{{access2}}"}),
    S("blacklist, missing refresh", "POST", "/api/token/blacklist/", {}),
    S("the access token still works after its refresh is blacklisted", "GET", ME,
      auth="Bearer {{access2}}", ctype=None),
]

VAR = re.compile(r"\{\{(\w+)\}\}")
JWT_SHAPE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
DRF_KEY = re.compile(r"^[0-9a-f]{40}$")
RESET_LINK = re.compile(r"password/reset/confirm/([^/\s\"<]+)/([^/\s\"<]+)")


def fill(value, variables):
    if isinstance(value, str):
        return VAR.sub(lambda m: variables[m.group(1)], value)
    if isinstance(value, list):
        return [fill(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, variables) for k, v in value.items()}
    return value


def at_path(body, path):
    for part in path.split("."):
        body = body[int(part)] if isinstance(body, list) else body[part]
    return body


def scrub(value, known, key=None):
    if isinstance(value, dict):
        return {k: scrub(v, known, k) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, known) for v in value]
    if isinstance(value, str):
        if value in known:
            return "{{%s}}" % known[value]
        if JWT_SHAPE.match(value) and value.startswith("eyJ"):
            return "<jwt>"
        if DRF_KEY.match(value):
            return "<token>"
        return value
    if key == "id" and isinstance(value, int) and not isinstance(value, bool):
        return "<int>"
    return value


def record_mail(message, variables, counter):
    """The mail's uid/token go into new variables; the recorded texts name them."""
    html = next((content for content, kind in message.alternatives if kind == "text/html"), None)
    entry = {"from": message.from_email, "to": list(message.to), "subject": message.subject, "body": message.body, "html": html}
    link = RESET_LINK.search(message.body)
    if link:
        uid_var, token_var = ("resetUid", "resetToken") if counter == 0 else (f"resetUid{counter + 1}", f"resetToken{counter + 1}")
        variables[uid_var], variables[token_var] = link.group(1), link.group(2)
        for field in ("subject", "body", "html"):
            if entry[field] is not None:
                entry[field] = (entry[field]
                                .replace(f"/{link.group(1)}/{link.group(2)}", "/{{%s}}/{{%s}}" % (uid_var, token_var)))
        entry["uidVar"], entry["tokenVar"] = uid_var, token_var
    return entry


def describe_jwts(access, refresh):
    """What Simple JWT's tokens hold: the header, the claim names and the lifetimes (exp - iat)."""
    described = {"header": jwt.get_unverified_header(access)}
    for kind, token in (("access", access), ("refresh", refresh)):
        claims = jwt.decode(token, options={"verify_signature": False})
        described[kind] = {"claims": sorted(claims), "tokenType": claims["token_type"],
                           "lifetimeSeconds": claims["exp"] - claims["iat"],
                           "jtiLength": len(claims["jti"]), "userIdType": type(claims["user_id"]).__name__}
    return described


def run():
    call_command("migrate", verbosity=0, interactive=False)
    User = get_user_model()
    variables = {}
    users = []
    for username, email, password, active, uid_var in USERS:
        user = User.objects.create_user(username=username, email=email, password=password)
        user.is_active = active
        user.save()
        variables[uid_var] = encode_uid(user.pk)
        users.append({"username": username, "email": email, "password": password, "isActive": active,
                      "uidVar": uid_var, "uid": variables[uid_var]})

    mail.outbox = []  # the locmem backend appends here (it creates it only on its first use)
    client = Client()
    exchanges = []
    mails_seen = 0
    for spec in EXCHANGES:
        extra = {}
        headers = {}
        if spec["auth"] is not None:
            headers["Authorization"] = spec["auth"]
            extra["HTTP_AUTHORIZATION"] = fill(spec["auth"], variables)
        ctype = spec["ctype"]
        if spec["raw"] is not None:
            data = spec["raw"].encode()
        elif spec["body"] is None:
            data, ctype = b"", None
        elif ctype == FORM:
            data = urlencode(fill(spec["body"], variables)).encode()
        else:
            data = json.dumps(fill(spec["body"], variables)).encode()
        before = len(mail.outbox)
        response = client.generic(spec["method"], spec["path"], data, content_type=ctype or "", **extra)
        body = json.loads(response.content) if response.content else None

        for name, path in spec["captures"].items():
            variables[name] = at_path(body, path)
        # Only long values (tokens, JWTs) are matched back to variables: a 2-character uid is not.
        known = {value: name for name, value in variables.items() if isinstance(value, str) and len(value) >= 16}
        for name in spec["captures"]:  # this exchange's captures win over older equal values
            known[variables[name]] = name

        request = {"method": spec["method"], "path": spec["path"], "headers": headers,
                   "contentType": ctype, "body": spec["body"]}
        if spec["raw"] is not None:
            request["rawBody"] = spec["raw"]
        response_headers = {}
        for header in ("Content-Type", "WWW-Authenticate", "Allow"):
            if response.has_header(header):
                response_headers[header.lower()] = response[header]
        exchange = {
            "package": spec["package"], "name": spec["name"], "request": request,
            "response": {"status": response.status_code, "headers": response_headers,
                         "body": scrub(body, known)},
        }
        if spec["captures"]:
            exchange["captures"] = spec["captures"]
        sent = mail.outbox[before:]
        if sent:
            exchange["mail"] = []
            for message in sent:
                exchange["mail"].append(record_mail(message, variables, mails_seen))
                mails_seen += 1
        exchanges.append(exchange)

    return {
        "madeBy": "scripts/django-clients/make-transcripts.sh",
        "versions": {
            "django": django.get_version(),
            "djangorestframework": rest_framework.VERSION,
            "djoser": metadata.version("djoser"),
            "simplejwt": metadata.version("djangorestframework-simplejwt"),
            "pyjwt": jwt.__version__,
        },
        "host": "testserver",
        "jwt": describe_jwts(variables["access1"], variables["refresh1"]),
        "users": users,
        "exchanges": exchanges,
    }


if __name__ == "__main__":
    json.dump(run(), sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
