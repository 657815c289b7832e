"""Builds one fixture database with real Django and DRF, and prints what is in it as JSON.

Run by make-fixture.sh, once per variant (DJANGO_FIXTURE_VARIANT=default|custom), with
DJANGO_FIXTURE_DB naming the SQLite file to create. Every user gets their password hashed by the
hasher named in the table below (Django's make_password), tokens are made by DRF's Token model,
and dates are set in the past so the import has to cope with old keys.
"""
import base64
import datetime
import hashlib
import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fixtureproject.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils.crypto import get_random_string  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

VARIANT = os.environ.get("DJANGO_FIXTURE_VARIANT", "default")
UTC = datetime.timezone.utc


def at(year, month, day):
    return datetime.datetime(year, month, day, 9, 30, 15, 123456, tzinfo=UTC)


def django4_scrypt(password):
    """Django 4's ScryptPasswordHasher.encode, exactly, for a Django (3.2) that has no scrypt hasher.

    scrypt$<N>$<salt>$<r>$<p>$<base64 of a 64-byte key>, N=2**14, r=8, p=1, salt of 22 characters.
    """
    salt = get_random_string(22)
    n, r, p = 2**14, 8, 1
    key = hashlib.scrypt(password.encode(), salt=salt.encode(), n=n, r=r, p=p, maxmem=0, dklen=64)
    return "%s$%d$%s$%d$%d$%s" % ("scrypt", n, salt, r, p, base64.b64encode(key).decode("ascii").strip())


def hashed(password, hasher):
    if hasher == "unusable":
        return make_password(None)
    if hasher == "scrypt" and django.VERSION < (4, 0):
        return django4_scrypt(password)
    return make_password(password, hasher=hasher)


# (username, email, hasher, password, flags, token created or None, date joined, last login)
DEFAULT_USERS = [
    ("alice", "alice@example.com", "pbkdf2_sha256", "alice-Pbkdf2-sha256!", {}, at(2021, 3, 4), at(2020, 1, 2), at(2024, 5, 6)),
    ("bob", "bob@example.com", "pbkdf2_sha1", "bob-Pbkdf2-sha1!", {}, at(2022, 7, 8), at(2020, 2, 3), None),
    ("carol", "Carol@Example.COM", "argon2", "carol-Argon2id!", {}, at(2023, 1, 9), at(2020, 3, 4), None),
    # bcrypt_sha256 hashes the password first, so more than bcrypt's 72 bytes count.
    ("dave", "dave@example.com", "bcrypt_sha256", "dåve-Bcrypt-sha256-" + "x" * 70 + "-end", {}, at(2023, 2, 10), at(2020, 4, 5), None),
    ("erin", "erin@example.com", "bcrypt", "erin-Bcrypt!", {}, at(2023, 3, 11), at(2020, 5, 6), None),
    ("frank", "frank@example.com", "scrypt", "frånk-Scrypt-pässwörd", {}, at(2023, 4, 12), at(2020, 6, 7), None),
    ("grace", "grace@example.com", "pbkdf2_sha256", "grace-Inactive!", {"is_active": False}, at(2022, 5, 13), at(2020, 7, 8), None),
    ("heidi", "heidi@example.com", "unusable", None, {}, at(2022, 6, 14), at(2020, 8, 9), None),
    ("ivan", "ivan@example.com", "pbkdf2_sha256", "ivan-Superuser!", {"is_staff": True, "is_superuser": True}, at(2021, 9, 15), at(2019, 9, 10), at(2024, 1, 2)),
    # The DRF tutorials' user: a username and a password, no e-mail.
    ("judy", "", "pbkdf2_sha256", "judy-No-Email!", {}, at(2022, 10, 16), at(2021, 1, 11), None),
    ("mallory", "mallory@example.com", "argon2", "mallory-No-Token!", {}, None, at(2021, 2, 12), None),
]

# (email, handle, hasher, password, flags, token created or None, date joined)
CUSTOM_USERS = [
    ("ann@example.org", "ann", "pbkdf2_sha256", "ann-Custom-pbkdf2!", {}, at(2021, 11, 1), at(2021, 1, 1)),
    ("ben@example.org", None, "argon2", "ben-Custom-argon2!", {"is_staff": True}, at(2022, 12, 2), at(2021, 2, 2)),
    ("cat@example.org", "cat", "scrypt", "cat-Custom-scrypt!", {"is_active": False}, None, at(2021, 3, 3)),
]


def build():
    call_command("migrate", verbosity=0, interactive=False)
    User = get_user_model()
    described = []
    rows = DEFAULT_USERS if VARIANT == "default" else [
        (handle, email, hasher, password, flags, token_at, joined, None)
        for email, handle, hasher, password, flags, token_at, joined in CUSTOM_USERS
    ]
    for username, email, hasher, password, flags, token_at, joined, last_login in rows:
        fields = dict(email=email, date_joined=joined, last_login=last_login, **flags)
        if VARIANT == "default":
            fields["username"] = username
        else:
            fields["handle"] = username
        user = User(**fields)
        user.password = hashed(password, hasher)
        user.save()
        key = None
        if token_at is not None:
            token = Token.objects.create(user=user)
            # `created` is auto_now_add; the fixture wants keys that are years old.
            Token.objects.filter(pk=token.pk).update(created=token_at)
            key = token.key
        described.append({
            "id": user.pk,
            "username": username,
            "email": email,
            "hasher": hasher,
            "password": password,
            "isActive": user.is_active,
            "isStaff": user.is_staff,
            "isSuperuser": user.is_superuser,
            "dateJoined": joined.isoformat(),
            "lastLogin": last_login.isoformat() if last_login else None,
            "token": key,
            "tokenCreated": token_at.isoformat() if token_at else None,
        })
    with connection.cursor() as cursor:
        cursor.execute("VACUUM")
    return {
        "userTable": User._meta.db_table,
        "usernameField": User.USERNAME_FIELD,
        "users": described,
    }


if __name__ == "__main__":
    json.dump(build(), sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
