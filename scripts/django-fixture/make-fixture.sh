#!/usr/bin/env bash
# Builds test/fixtures/django/: two SQLite databases made by real Django and Django REST Framework
# (Debian's packages), committed as their SQL (default.sql, custom.sql: a repository keeps no
# database files; the tests build them from it), and users.json, which lists each user's hasher, original password and DRF
# key, so that the import tests need no Python. Installs the packages when they are missing (root).
#
#   scripts/django-fixture/make-fixture.sh            # then commit test/fixtures/django/
#
# default.sqlite3: auth_user (one user per Django hasher, an inactive one, an unusable password, a
#                  superuser, a user without e-mail) and authtoken_token (keys from 2021-2023).
# custom.sqlite3:  accounts_account, a custom user model with USERNAME_FIELD = 'email' and no
#                  username column (an optional `handle` instead), and its tokens.
#
# Debian 12 ships Django 3.2, which has no ScryptPasswordHasher (added in Django 4.0): there the
# scrypt hashes are computed by build_fixture.py with Django 4's exact algorithm (hashlib.scrypt,
# N=2^14, r=8, p=1, 64-byte key); with Django 4+ Django's own hasher makes them.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../../test/fixtures/django"
# Debian's interpreter: the python3-* packages install for it, not for a pyenv or venv one.
python=/usr/bin/python3

packages=()
for module_package in django:python3-django rest_framework:python3-djangorestframework \
                      bcrypt:python3-bcrypt argon2:python3-argon2; do
  "$python" -c "import ${module_package%%:*}" 2>/dev/null || packages+=("${module_package#*:}")
done
if [ "${#packages[@]}" -gt 0 ]; then
  echo "installing ${packages[*]}" >&2
  apt-get install -y "${packages[@]}" >&2 || { apt-get update >&2 && apt-get install -y "${packages[@]}" >&2; }
fi

mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"; find "$here" -name __pycache__ -type d -exec rm -rf {} +' EXIT
for variant in default custom; do
  (cd "$here" && DJANGO_FIXTURE_VARIANT="$variant" DJANGO_FIXTURE_DB="$work/$variant.sqlite3" \
     "$python" build_fixture.py >"$work/$variant.json")
  # Committed as SQL, not as a database file: the tests build the SQLite file from it (test/import/support.ts).
  "$python" - "$work/$variant.sqlite3" "$out/$variant.sql" <<'PY'
import sqlite3, sys
with open(sys.argv[2], "w") as f:
    f.write("-- Made by scripts/django-fixture/make-fixture.sh: the SQLite database real Django wrote, as SQL.\n")
    for line in sqlite3.connect(sys.argv[1]).iterdump():
        f.write(line + "\n")
PY
done

"$python" - "$work" "$out/users.json" <<'PY'
import json, sys
import django, rest_framework
work, target = sys.argv[1], sys.argv[2]
described = {
    "madeBy": "scripts/django-fixture/make-fixture.sh",
    "django": django.get_version(),
    "djangorestframework": rest_framework.VERSION,
    "databases": {f"{v}.sqlite3": json.load(open(f"{work}/{v}.json")) for v in ("default", "custom")},
}
with open(target, "w") as f:
    json.dump(described, f, indent=2, ensure_ascii=False)
    f.write("\n")
PY
ls -l "$out" >&2
