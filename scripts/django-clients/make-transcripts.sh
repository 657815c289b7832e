#!/usr/bin/env bash
# Records test/fixtures/django-clients/transcripts.json: golden HTTP exchanges (requests, status
# codes, content-type / www-authenticate / allow headers, exact JSON bodies, the mails sent) made
# against the real djoser and djangorestframework-simplejwt (Debian's packages), so that the
# TypeScript tests can replay the same requests against Tessera's djoser and Simple JWT faces.
# The format is described at the top of record.py. Installs the packages when missing (root).
#
#   scripts/django-clients/make-transcripts.sh        # then commit test/fixtures/django-clients/
#
# The project (clientsproject/) uses an in-memory SQLite database and Django's test client: no
# server, no files left behind. The output is the same on every run: tokens, JWTs and ids are
# replaced by placeholders (see record.py).
#
# Debian 12's python3-djoser imports templated_mail (django-templated-mail), which no Debian
# package ships; record.py then uses shims/templated_mail, a stand-in with the same rendering.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../../test/fixtures/django-clients"
# Debian's interpreter: the python3-* packages install for it, not for a pyenv or venv one.
python=/usr/bin/python3

packages=()
for module_package in django:python3-django rest_framework:python3-djangorestframework \
                      djoser:python3-djoser rest_framework_simplejwt:python3-djangorestframework-simplejwt; do
  "$python" -c "import ${module_package%%:*}" 2>/dev/null || packages+=("${module_package#*:}")
done
if [ "${#packages[@]}" -gt 0 ]; then
  echo "installing ${packages[*]}" >&2
  apt-get install -y "${packages[@]}" >&2 || { apt-get update >&2 && apt-get install -y "${packages[@]}" >&2; }
fi

mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"; find "$here" -name __pycache__ -type d -exec rm -rf {} +' EXIT
(cd "$here" && PYTHONDONTWRITEBYTECODE=1 "$python" record.py >"$work/transcripts.json")
mv "$work/transcripts.json" "$out/transcripts.json"
echo "wrote $out/transcripts.json ($("$python" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["exchanges"]))' "$out/transcripts.json") exchanges)" >&2
